"""The `__any` lookup: the same rows as `__in`, one parameter, on SQLite and PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from panal.listening.models import Mention


@pytest.fixture
def stored(add):
    return add(*({"external_id": f"m{n}", "text": f"mensaje {n}"} for n in range(6)))


def test_any_finds_what_in_finds_with_one_parameter(stored):
    wanted = [stored[0].id, stored[3].id, stored[5].id, stored[3].id, None, 999]
    with CaptureQueriesContext(connection) as captured:
        found = set(Mention.objects.filter(id__any=wanted).values_list("id", flat=True))
    assert found == set(Mention.objects.filter(id__in=wanted).values_list("id", flat=True))
    assert found == {stored[0].id, stored[3].id, stored[5].id}
    sql = captured.captured_queries[0]["sql"]
    assert "ANY(" in sql or "json_each(" in sql
    assert sql.count(str(stored[5].id)) == 1  # the ids once, as one value


def test_any_on_a_foreign_key_and_an_empty_list(stored, account):
    assert Mention.objects.filter(account_id__any=[account.id]).count() == len(stored)
    assert Mention.objects.filter(account__any=(account.id,)).count() == len(stored)
    assert list(Mention.objects.filter(id__any=[])) == []
    assert list(Mention.objects.filter(id__any=[None])) == []


@pytest.mark.parametrize("bad", ["12", 7, [object()]])
def test_any_takes_integers_only(stored, bad):
    with pytest.raises(TypeError):
        list(Mention.objects.filter(id__any=bad))
