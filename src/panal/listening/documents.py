"""Stored mentions as query documents: what backfill, the query preview, the inbox search
and the live topics stage evaluate listening queries against (docs/query.md#documents).

`docs_of(queryset)` reads only the columns a query can look at — text, title, author,
language, channel, country, URLs, brand, and the understanding's sentiment and intents
— as plain tuples (no model instances), in chunks of ids, newest first or oldest first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet

from .models import Mention
from .query import Doc

COLUMNS = (
    "id",
    "created_at",
    "text",
    "title",
    "author_handle",
    "author_display_name",
    "lang",
    "channel",
    "country",
    "url",
    "urls",
    "brand__slug",
    "brand__name",
    "understanding__sentiment",
    "understanding__intents",
)
CHUNK = 2000


def doc_of_row(row: tuple) -> Doc:
    """The Doc of one row of COLUMNS."""
    (_, _, text, title, handle, name, lang, channel, country, url, urls, bslug, bname,
     sentiment, intents) = row  # fmt: skip
    if urls:
        links = (url, *(u for u in urls if isinstance(u, str))) if url else tuple(urls)
    else:
        links = (url,) if url else ()
    return Doc(
        text=text,
        title=title,
        author_handle=handle,
        author_name=name,
        lang=lang,
        channel=channel,
        country=country,
        urls=links,
        sentiment=sentiment or "",
        intents=tuple(i["label"] for i in intents or () if isinstance(i, dict) and i.get("label")),
        brands=(bslug, bname) if bslug else (),
    )


def rows_of(
    queryset: QuerySet[Mention], *, newest_first: bool = False, chunk: int = CHUNK
) -> Iterator[list[tuple]]:
    """Chunks of COLUMNS rows of `queryset`, walked by id (keyset, so a chunk costs the same
    at the end of a million rows as at the start)."""
    queryset = queryset.order_by("-id" if newest_first else "id").values_list(*COLUMNS)
    bound: int | None = None
    while True:
        page = queryset
        if bound is not None:
            page = page.filter(id__lt=bound) if newest_first else page.filter(id__gt=bound)
        rows = list(page[:chunk])
        if not rows:
            return
        yield rows
        if len(rows) < chunk:
            return
        bound = rows[-1][0]


def docs_of(
    queryset: QuerySet[Mention], *, newest_first: bool = False, chunk: int = CHUNK
) -> Iterator[tuple[int, datetime, Doc]]:
    """(id, created_at, Doc) of every mention of `queryset`."""
    for rows in rows_of(queryset, newest_first=newest_first, chunk=chunk):
        for row in rows:
            yield row[0], row[1], doc_of_row(row)
