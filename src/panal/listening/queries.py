"""Read models of the inbox pages: filters from the query string, bounded lists, live polls.

Every function here takes a permission-checked queryset (services.visible_mentions)
and only narrows, orders and bounds it. The inbox lists mentions by arrival (-id:
ids are time-ordered), so a mention imported today with last year's date appears
on top, where the live poll also puts it.

The search box speaks the listening query language (docs/query.md#inbox-search): the
column filters narrow the queryset, then `search.newest_matches` finds the newest mentions
the query matches exactly. A query that does not parse lists nothing and says why.

The live poll asks for mentions the page does not show yet. Asking only for
`id > newest shown` would lose a mention whose transaction committed late (ids are
given before commit) or that matched the filters only after the pipeline ran (brand,
search index); so the poll also looks back POLL_OVERLAP_MS below the newest id and
leaves out the ids the page already shows (`seen`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db.models import Prefetch, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language_info

from panal.channels.models import ChannelAccount
from panal.core.ids import EPOCH_MS, id_floor_for_ms
from panal.core.text import canonical_lang
from panal.org.models import Brand

from . import search
from .choices import Channel
from .models import Mention, Topic, TopicMatch
from .query import LintWarning, Query, QueryError

PAGE_SIZE = 50
# How far below the newest shown id a poll still looks for late arrivals.
POLL_OVERLAP_MS = 120_000
# Most recent ids a poll carries to avoid sending a row twice (bounds the poll URL).
SEEN_LIMIT = 50
MAX_QUERY_CHARS = 1000
# Language filter value for mentions whose language is not known.
UNKNOWN_LANGUAGE = "und"
# Languages offered in the filter; a bookmarked other code is offered too.
COMMON_LANGUAGES = ("es", "en", "pt", "ca", "gl", "eu", "fr", "it", "de", "ar")

_OVERLAP_IDS = id_floor_for_ms(EPOCH_MS + POLL_OVERLAP_MS)
_MAX_ID = 2**63 - 1


def parse_id(value: str | None) -> int | None:
    """A mention id from the query string, or None."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 <= number <= _MAX_ID else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class InboxFilters:
    """The inbox filters as they appear in a bookmarkable query string.

    Unknown or malformed values are dropped rather than refused: a stale bookmark
    still opens the inbox.
    """

    q: str = ""
    channel: str = ""
    lang: str = ""
    brand: int | None = None
    topic: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    # Query-string name of each field.
    _PARAMS = {"date_from": "from", "date_to": "to"}

    @classmethod
    def from_params(cls, params: QueryDict) -> InboxFilters:
        channel = params.get("channel", "")
        lang = (params.get("lang") or "").strip().lower()
        if lang != UNKNOWN_LANGUAGE:
            lang = canonical_lang(lang)
        return cls(
            q=" ".join((params.get("q") or "").split())[:MAX_QUERY_CHARS],
            channel=channel if channel in Channel.values else "",
            lang=lang,
            brand=parse_id(params.get("brand")),
            topic=parse_id(params.get("topic")),
            date_from=_date(params.get("from")),
            date_to=_date(params.get("to")),
        )

    def params(self) -> dict[str, str]:
        """The non-empty filters as query-string pairs."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, ""):
                out[self._PARAMS.get(f.name, f.name)] = str(value)
        return out

    def query(self, **extra: int | str | list) -> str:
        """The query string of these filters plus `extra` (lists become repeated keys)."""
        data = QueryDict(mutable=True)
        for key, value in {**self.params(), **extra}.items():
            if isinstance(value, list):
                data.setlist(key, [str(v) for v in value])
            else:
                data[key] = str(value)
        return data.urlencode()

    @property
    def active(self) -> bool:
        return bool(self.params())

    @cached_property
    def _parsed(self) -> tuple[Query | None, QueryError | None]:
        if not self.q:
            return None, None
        try:
            return Query(self.q), None
        except QueryError as error:
            return None, error

    @property
    def search_query(self) -> Query | None:
        """The parsed search, or None without one (or when it does not parse)."""
        return self._parsed[0]

    @property
    def search_error(self) -> QueryError | None:
        """Why the search does not parse (column, message, hint), or None."""
        return self._parsed[1]

    @cached_property
    def search_warnings(self) -> list[LintWarning]:
        query = self.search_query
        return query.lint() if query is not None else []

    def apply(self, queryset: QuerySet[Mention]) -> QuerySet[Mention]:
        """Every filter but the search (see `inbox_page` and `poll_new` for that)."""
        if self.channel:
            queryset = queryset.filter(channel=self.channel)
        if self.lang:
            queryset = queryset.filter(lang="" if self.lang == UNKNOWN_LANGUAGE else self.lang)
        if self.brand is not None:
            queryset = queryset.filter(brand_id=self.brand)
        if self.topic is not None:
            matched = TopicMatch.objects.filter(topic_id=self.topic).values("mention_id")
            queryset = queryset.filter(id__in=matched)
        if self.date_from:
            queryset = queryset.filter(created_at__gte=_day_start(self.date_from))
        if self.date_to and self.date_to < date.max:
            queryset = queryset.filter(created_at__lt=_day_start(self.date_to + timedelta(days=1)))
        return queryset


def with_row_data(queryset: QuerySet[Mention]) -> QuerySet[Mention]:
    """What listening/_row.html shows: the understanding row (a reverse one-to-one) rides
    along for the chips, and the topics matched come in one more query for the page."""
    topics = Prefetch(
        "topic_matches",
        queryset=TopicMatch.objects.select_related("topic").order_by("topic__name"),
    )
    return queryset.select_related("author", "account", "brand", "understanding").prefetch_related(
        topics
    )


def _rows(queryset: QuerySet[Mention]) -> QuerySet[Mention]:
    return with_row_data(queryset).order_by("-id")


@dataclass
class PollState:
    """What a page tells the next poll: the newest id shown and the recent ids shown."""

    after: int = 0
    seen: list[int] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: QueryDict) -> PollState:
        seen = [
            n for n in (parse_id(v) for v in params.getlist("seen")[:SEEN_LIMIT]) if n is not None
        ]
        return cls(after=parse_id(params.get("after")) or 0, seen=seen)

    @classmethod
    def of(cls, mentions: list[Mention], earlier: PollState | None = None) -> PollState:
        """The state after showing `mentions` (newest first) on top of `earlier`."""
        earlier = earlier or cls()
        after = max([earlier.after, *(m.id for m in mentions)])
        recent = {i for i in [*earlier.seen, *(m.id for m in mentions)] if i > after - _OVERLAP_IDS}
        return cls(after=after, seen=sorted(recent, reverse=True)[:SEEN_LIMIT])

    def params(self) -> dict[str, int | list[int]]:
        return {"after": self.after, "seen": self.seen}


@dataclass
class InboxPage:
    mentions: list[Mention]
    # Where the next (older) page starts, or None when this is the last one.
    older_than: int | None
    poll: PollState


def _searched(
    queryset: QuerySet[Mention],
    query: Query,
    before: int | None = None,
    after: int | None = None,
) -> tuple[list[Mention], int | None]:
    """The newest PAGE_SIZE mentions the query matches, and where older ones start."""
    found = search.newest_matches(queryset, query, PAGE_SIZE, before, after=after)
    mentions = list(_rows(queryset.filter(id__in=found.ids))) if found.ids else []
    return mentions, found.next_before


def inbox_page(
    visible: QuerySet[Mention], filters: InboxFilters, before: int | None = None
) -> InboxPage:
    """One page of the inbox, newest arrival first, starting below the id `before`.
    Empty when the search does not parse (`filters.search_error` says why)."""
    if filters.search_error is not None:
        return InboxPage(mentions=[], older_than=None, poll=PollState())
    query = filters.search_query
    if query is not None:
        mentions, older_than = _searched(filters.apply(visible), query, before=before)
        return InboxPage(mentions=mentions, older_than=older_than, poll=PollState.of(mentions))
    queryset = _rows(filters.apply(visible))
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    mentions = list(queryset[: PAGE_SIZE + 1])
    older_than = mentions[PAGE_SIZE - 1].id if len(mentions) > PAGE_SIZE else None
    mentions = mentions[:PAGE_SIZE]
    return InboxPage(mentions=mentions, older_than=older_than, poll=PollState.of(mentions))


@dataclass
class PollResult:
    mentions: list[Mention]
    poll: PollState
    # More new mentions arrived than one poll sends; a reload shows them all.
    overflow: bool


def poll_new(visible: QuerySet[Mention], filters: InboxFilters, state: PollState) -> PollResult:
    """Mentions matching `filters` that the page does not show yet, newest first."""
    floor = max(state.after - _OVERLAP_IDS, 0)
    if len(state.seen) >= SEEN_LIMIT:
        # The page shows more recent rows than the poll remembers: look no lower than them.
        floor = max(floor, min(state.seen))
    if filters.search_error is not None:
        return PollResult(mentions=[], poll=state, overflow=False)
    queryset = filters.apply(visible).filter(id__gt=floor)
    if state.seen:
        queryset = queryset.exclude(id__in=state.seen)
    query = filters.search_query
    if query is not None:
        mentions, older = _searched(queryset, query, after=floor)
        overflow = older is not None
    else:
        mentions = list(_rows(queryset)[: PAGE_SIZE + 1])
        overflow = len(mentions) > PAGE_SIZE
        mentions = mentions[:PAGE_SIZE]
    return PollResult(mentions=mentions, poll=PollState.of(mentions, state), overflow=overflow)


@dataclass
class FilterOptions:
    channels: list[tuple[str, str]]
    languages: list[tuple[str, str]]
    brands: list[Brand]
    several_organisations: bool
    topics: list[Topic]


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code.upper()


def filter_options(user, filters: InboxFilters) -> FilterOptions:
    """The choices of the filter form: the user's organisations' channels and brands."""
    member_of = {"memberships__user": user, "memberships__is_active": True}
    kinds = set(
        ChannelAccount.objects.filter(**{f"organisation__{k}": v for k, v in member_of.items()})
        .order_by()  # the model's ordering would join the DISTINCT
        .values_list("kind", flat=True)
        .distinct()
    )
    if filters.channel:
        kinds.add(filters.channel)
    labels = dict(Channel.choices)
    channels = sorted(((k, str(labels.get(k, k))) for k in kinds), key=lambda c: c[1].lower())
    codes = list(COMMON_LANGUAGES)
    if filters.lang and filters.lang not in codes and filters.lang != UNKNOWN_LANGUAGE:
        codes.append(filters.lang)
    languages = sorted(((c, _language_name(c)) for c in codes), key=lambda c: c[1].lower())
    brands = list(
        Brand.objects.filter(**{f"organisation__{k}": v for k, v in member_of.items()})
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )
    topics = list(
        Topic.objects.filter(**{f"organisation__{k}": v for k, v in member_of.items()})
        .filter(Q(is_active=True) | Q(id=filters.topic))
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )
    return FilterOptions(
        channels=channels,
        languages=languages,
        brands=brands,
        several_organisations=len({b.organisation_id for b in brands}) > 1,
        topics=topics,
    )
