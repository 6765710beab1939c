"""Exports never hand a spreadsheet a formula from a stranger."""

import csv
import io

import pytest

from panal.core.csvsafe import neutralise, write_rows


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", ' =HYPERLINK("x")', "\u00a0=1", "%0A=1", "|cmd"],
)
def test_formulas_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["hola", "1", "a=b", "", 3, None])
def test_plain_values_are_left_alone(value):
    assert neutralise(value) == value


def test_write_rows_neutralises_every_cell():
    out = io.StringIO()
    write_rows(out, ["name", "n"], [["=evil()", 1], ["ok", "+2"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["name", "n"], ["'=evil()", "1"], ["ok", "'+2"]]
