"""The knowledge base: articles, their search, and suggestions while answering
(docs/engagement.md#knowledge-base).

Reading needs `engagement.view_article`; writing `engagement.add_article` (new) or
`engagement.change_article` (edit, publish, unpublish). Drafts are seen only by writers.

Suggestions rank the organisation's published articles against a question with BM25
over folded words (`panal.core.text.words`): the title counts three times, tags twice,
the body once; Spanish and English stop words and greetings are dropped and plurals
folded (`router`/`routers`, `factura`/`facturas`, `conexion`/`conexiones`). An article is
suggested only when it scores at least `MIN_SCORE` and explains at least `MIN_COVERAGE`
of the question's weight (the idf of its words; a word no article has counts fully), so
a question that shares one ordinary word with an article gets nothing. Only articles in
the question's language are suggested when one fits; otherwise those of other languages
that pass a bar with less coverage but a higher score (`MIN_*_OTHER`).

Each organisation's index is built once per process and kept until its articles change:
one aggregate query (count and latest `updated_at`) checks it before each use, and a save
or delete in the same process marks the article stale. A refresh reads every article's
id and `updated_at` but tokenises again only the changed ones.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from panal.core import clock
from panal.core.text import canonical_lang, clean, words
from panal.org.services import organisation_ids_for

from . import cases
from .models import Article, Case, CaseEvent

VIEW = "engagement.view_article"
ADD = "engagement.add_article"
CHANGE = "engagement.change_article"

TITLE_WEIGHT = 3.0
TAG_WEIGHT = 2.0
K1 = 1.2
B = 0.75
MIN_SCORE = 1.0
MIN_COVERAGE = 0.2
# In another language fewer of the question's words can match (only names and shared
# terms such as "router"), so less coverage is asked, but stronger matches.
MIN_SCORE_OTHER = 2.0
MIN_COVERAGE_OTHER = 0.15
MAX_CACHED = 128  # organisations whose index a process keeps
MAX_TITLE = 300
MAX_BODY = 50_000
MAX_TAGS = 20
SEARCH_LIMIT = 50
MAX_QUERY = 5000  # characters of a question or search read

# Our own short lists, folded (no accents). Grammar words of both languages, then the
# words every support question carries (greetings, "problem", "help") that say nothing
# about which article answers it.
SPANISH = """
a al algo alguien algun alguna algunas alguno algunos ante antes aqui asi aun aunque cada
casi como con contra cual cuales cualquier cuando cuanto de del desde donde dos el ella
ellas ello ellos en entonces entre era eran es esa esas ese eso esos esta estaba estado
estamos estan estar estas este esto estos estoy fue fueron ha habia han has hasta hay he
hemos la las le les lo los mas me mi mia mias mio mios mis mucho muchos muy nada ni no nos
nosotros nuestra nuestro o os otra otras otro otros para pero poco por porque pues que
quien quienes se sea ser si sido sin sobre solo son su sus tal tambien tan tanto te tengo
tenemos tener tiene tienen ti toda todas todo todos tu tus un una unas uno unos usted
ustedes vez y ya yo puedo puede pueden podria hacer hago hace hacen sabe saben va van vas
voy ir quiero quieres quiere cuanto cuantos cuanta cuantas
hola buenas buenos dias tardes noches gracias favor saludos ayuda ayudar ayudarme
ayudenme problema problemas consulta pregunta
"""
ENGLISH = """
a about above after again all also am an and any are as at be because been before being
much many
below between both but by can cannot could did do does doing don down during each few for
from further had has have having he her here hers him his how i if in into is it its
itself just ll me more most my myself no nor not now of off on once only or other our ours
out over own re s same she should so some such t than that the their theirs them then
there these they this those through to too under until up ve very was we were what when
where which while who whom why will with would you your yours
hi hello hey thanks thank please anyone someone somebody help problem problems issue
issues question
"""
STOP_WORDS = frozenset(SPANISH.split()) | frozenset(ENGLISH.split())


class ArticleNotFound(LookupError):
    """No such article, or not one the user may read (the same answer for both)."""


class ArticleError(ValueError):
    """An article that cannot be saved; the message says why."""


# --- words ----------------------------------------------------------------------------------


def _fold_plural(word: str) -> str:
    if len(word) > 6 and word.endswith("iones"):
        return word[:-2]  # conexiones → conexion
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]  # facturas → factura, routers → router
    return word


def _counts(word: str) -> bool:
    if word.isdigit():
        return len(word) > 2  # "30 días" says little; an error code "404" says much
    return len(word) > 1 and word not in STOP_WORDS


def terms(text: str) -> list[str]:
    """The words of `text` that count for search: folded, no stop words, plurals folded."""
    return [_fold_plural(w) for w in words(text or "") if _counts(w)]


# --- the index ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Doc:
    id: int
    lang: str
    published: bool
    updated_at: datetime | None
    counts: dict[str, float]  # weighted term frequencies, kept to refresh cheaply
    length: float


@dataclass
class _Index:
    key: tuple | None
    docs: list[_Doc] = field(default_factory=list)
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    avg_length: float = 1.0
    stale: set[int] = field(default_factory=set)  # saved here since it was built

    def idf(self, term: str) -> float:
        # A small knowledge base counts as ten articles: with two or three, every shared
        # word would weigh almost nothing and the first article on a problem never shows.
        n = max(len(self.docs), 10)
        df = len(self.postings.get(term, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def rank(self, query: Iterable[str]) -> list[tuple[int, float, float]]:
        """(doc position, score, coverage) of every document sharing a word, best first."""
        unique = list(dict.fromkeys(query))
        weights = {t: self.idf(t) for t in unique}
        total = sum(weights.values())
        scores: dict[int, float] = {}
        matched: dict[int, float] = {}
        for term in unique:
            for pos, tf in self.postings.get(term, ()):
                norm = 1 - B + B * self.docs[pos].length / self.avg_length
                scores[pos] = scores.get(pos, 0.0) + weights[term] * tf * (K1 + 1) / (
                    tf + K1 * norm
                )
                matched[pos] = matched.get(pos, 0.0) + weights[term]
        out = [(pos, s, matched[pos] / total if total else 0.0) for pos, s in scores.items()]
        out.sort(key=lambda row: (-row[1], -self.docs[row[0]].id))
        return out


_cache: OrderedDict[int, _Index] = OrderedDict()
_lock = threading.Lock()


def _stamp(organisation_id: int) -> tuple:
    row = Article.objects.filter(organisation_id=organisation_id).aggregate(
        n=Count("id"), last=Max("updated_at")
    )
    return (row["n"], row["last"])


def _term_counts(title: str, body: str, tags) -> dict[str, float]:
    counts: dict[str, float] = {}
    for text, weight in (
        (title, TITLE_WEIGHT),
        (" ".join(str(t) for t in tags or []), TAG_WEIGHT),
        (body, 1.0),
    ):
        for term in terms(text):
            counts[term] = counts.get(term, 0.0) + weight
    return counts


def _build(organisation_id: int, key: tuple, previous: _Index | None, stale: set[int]) -> _Index:
    """The index from the database, tokenising only the articles changed since
    `previous` or in `stale` (all of them without a previous index)."""
    articles = Article.objects.filter(organisation_id=organisation_id)
    counted: dict[int, dict[str, float]] = {}
    if previous is None:
        meta = []
        rows = articles.values_list("id", "updated_at", "status", "lang", "title", "body", "tags")
        for article_id, updated_at, status, lang, title, body, tags in rows.iterator(500):
            meta.append((article_id, updated_at, status, lang))
            counted[article_id] = _term_counts(title, body, tags)
    else:
        meta = list(articles.values_list("id", "updated_at", "status", "lang"))
        known = {doc.id: doc for doc in previous.docs}
        changed = [
            article_id
            for article_id, updated_at, _status, _lang in meta
            if article_id in stale
            or article_id not in known
            or known[article_id].updated_at != updated_at
        ]
        for start in range(0, len(changed), 500):
            rows = Article.objects.filter(pk__in=changed[start : start + 500]).values_list(
                "id", "title", "body", "tags"
            )
            for article_id, title, body, tags in rows:
                counted[article_id] = _term_counts(title, body, tags)
        for article_id, doc in known.items():
            counted.setdefault(article_id, doc.counts)
    index = _Index(key=key)
    total = 0.0
    for article_id, updated_at, status, lang in meta:
        counts = counted.get(article_id)
        if counts is None:  # deleted between the two queries
            continue
        length = sum(counts.values()) or 1.0
        pos = len(index.docs)
        published = status == Article.Status.PUBLISHED
        index.docs.append(
            _Doc(article_id, canonical_lang(lang), published, updated_at, counts, length)
        )
        for term, tf in counts.items():
            index.postings.setdefault(term, []).append((pos, tf))
        total += length
    index.avg_length = total / len(index.docs) if index.docs else 1.0
    return index


def index_for(organisation_id: int) -> _Index:
    """The organisation's index: one query when nothing changed; after a change, the
    changed articles only are read and tokenised again."""
    key = _stamp(organisation_id)
    with _lock:
        cached = _cache.get(organisation_id)
        if cached is not None and cached.key == key and not cached.stale:
            _cache.move_to_end(organisation_id)
            return cached
        seen = set(cached.stale) if cached is not None else set()
    index = _build(organisation_id, key, cached, seen)
    with _lock:
        if cached is not None:
            index.stale = cached.stale - seen  # saved while this one was being built
        _cache[organisation_id] = index
        _cache.move_to_end(organisation_id)
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return index


def _on_change(sender, instance: Article, **kwargs) -> None:
    # A save here marks the article for tokenising again, even at an unchanged
    # `updated_at`; other processes' changes are caught by the count / latest check.
    with _lock:
        cached = _cache.get(instance.organisation_id)
        if cached is not None:
            cached.stale.add(instance.pk)


post_save.connect(_on_change, sender=Article, dispatch_uid="knowledge-index-save")
post_delete.connect(_on_change, sender=Article, dispatch_uid="knowledge-index-delete")


def _articles(ids: list[int], **filters) -> list[Article]:
    found = Article.objects.filter(pk__in=ids, **filters).in_bulk()
    return [found[i] for i in ids if i in found]


# --- reading ------------------------------------------------------------------------------


def suggest(organisation_id: int, text: str, lang: str = "", limit: int = 3) -> list[Article]:
    """Published articles that answer `text`, best first; [] when none fits well enough."""
    query = terms((text or "")[:MAX_QUERY])
    if not query or limit <= 0:
        return []
    index = index_for(organisation_id)
    lang = canonical_lang(lang)
    same: list[_Doc] = []
    other: list[_Doc] = []
    for pos, score, coverage in index.rank(query):
        doc = index.docs[pos]
        if not doc.published:
            continue
        if not lang or doc.lang == lang:
            if score >= MIN_SCORE and coverage >= MIN_COVERAGE:
                same.append(doc)
        elif score >= MIN_SCORE_OTHER and coverage >= MIN_COVERAGE_OTHER:
            other.append(doc)
    chosen = (same or other)[:limit]
    return _articles(
        [doc.id for doc in chosen],
        organisation_id=organisation_id,
        status=Article.Status.PUBLISHED,
    )


def suggest_for_case(case: Case, limit: int = 3) -> list[Article]:
    """Suggestions for a case: its subject and the last messages of its conversation."""
    recent = list(cases.mentions_of(case).values_list("title", "text").reverse()[:3])
    text = " ".join([case.subject, *(f"{title} {body}" for title, body in recent)])
    return suggest(case.organisation_id, text, case.lang, limit)


def search(
    organisation_id: int, query: str = "", *, drafts: bool = False, limit: int = SEARCH_LIMIT
) -> list[Article]:
    """Articles for the list page: any that shares a word with `query`, best first; with
    no query, the latest. Drafts only when `drafts`."""
    statuses = Article.Status.values if drafts else [Article.Status.PUBLISHED]
    wanted = terms((query or "")[:MAX_QUERY])
    if not wanted:
        return list(
            Article.objects.filter(organisation_id=organisation_id, status__in=statuses)
            .select_related("created_by")
            .order_by("-updated_at", "-id")[:limit]
        )
    index = index_for(organisation_id)
    ids = [
        index.docs[pos].id
        for pos, _score, _coverage in index.rank(wanted)
        if drafts or index.docs[pos].published
    ][:limit]
    return _articles(ids, organisation_id=organisation_id, status__in=statuses)


def can_read(user) -> bool:
    return user.is_authenticated and user.has_perm(VIEW)


def can_create(user) -> bool:
    return user.is_authenticated and user.has_perm(ADD)


def can_change(user) -> bool:
    return user.is_authenticated and user.has_perm(CHANGE)


def can_see_drafts(user) -> bool:
    return can_create(user) or can_change(user)


def require(user, perm: str) -> None:
    if not user.is_authenticated or not user.has_perm(perm):
        raise PermissionDenied(_("Your role cannot do this in the knowledge base."))


def get_article_for(user, article_id) -> Article:
    """An article of one of the user's organisations; drafts only for writers."""
    require(user, VIEW)
    try:
        article = Article.objects.select_related("created_by", "source_case").get(
            pk=int(article_id), organisation_id__in=organisation_ids_for(user)
        )
    except (Article.DoesNotExist, ValueError, TypeError, OverflowError):
        raise ArticleNotFound(_("Article not found.")) from None
    if article.status != Article.Status.PUBLISHED and not can_see_drafts(user):
        raise ArticleNotFound(_("Article not found."))
    return article


def prefill_from_case(user, case: Case) -> dict:
    """A new article's fields from a case: its subject and its internal notes."""
    require(user, ADD)
    if not cases.can_see(user, case):
        raise cases.CaseNotFound(_("Case not found."))
    notes = [n.body for n in case.notes.all()]
    return {
        "title": case.subject[:MAX_TITLE],
        "body": "\n\n".join(notes)[:MAX_BODY],
        "lang": canonical_lang(case.lang),
        "tags": list(case.tags)[:MAX_TAGS],
    }


# --- changes ------------------------------------------------------------------------------


def clean_article(title: str, body: str, lang: str, tags: Iterable[str]) -> dict:
    """Checked fields, or ArticleError naming what is wrong."""
    title = " ".join(clean(title or "").split())
    body = clean(body or "")
    code = canonical_lang(lang)
    if not title:
        raise ArticleError(_("The title is empty."))
    if len(title) > MAX_TITLE:
        raise ArticleError(_("A title takes at most %(n)d characters.") % {"n": MAX_TITLE})
    if not body:
        raise ArticleError(_("The text is empty."))
    if len(body) > MAX_BODY:
        raise ArticleError(_("An article takes at most %(n)d characters.") % {"n": MAX_BODY})
    if not code:
        raise ArticleError(_("Give the language as a code such as “es” or “en”."))
    raw_tags = [t for t in tags if str(t).strip()]
    if len(raw_tags) > MAX_TAGS:
        raise ArticleError(_("An article takes at most %(n)d tags.") % {"n": MAX_TAGS})
    try:
        tag_list = cases.clean_tags(raw_tags)
    except cases.CaseError as exc:
        raise ArticleError(str(exc)) from None
    return {"title": title, "body": body, "lang": code, "tags": tag_list}


@transaction.atomic
def create_article(
    user,
    organisation_id: int,
    *,
    title: str,
    body: str,
    lang: str,
    tags: Iterable[str] = (),
    source_case: Case | None = None,
    publish: bool = False,
) -> Article:
    """A new article (a draft unless `publish`); from a case, the case records it."""
    require(user, ADD)
    if publish:
        require(user, CHANGE)
    if organisation_id not in organisation_ids_for(user):
        raise PermissionDenied(_("You are not a member of this organisation."))
    if source_case is not None and (
        source_case.organisation_id != organisation_id or not cases.can_see(user, source_case)
    ):
        raise ArticleError(_("That case is not one you can see in this organisation."))
    fields = clean_article(title, body, lang, tags)
    now = clock.now()
    article = Article.objects.create(
        organisation_id=organisation_id,
        status=Article.Status.PUBLISHED if publish else Article.Status.DRAFT,
        source_case=source_case,
        created_by=user,
        created_at=now,
        updated_at=now,
        **fields,
    )
    if source_case is not None:
        cases.record(
            source_case, CaseEvent.Kind.ARTICLE, user, article=article.pk,
            title=article.title, action="created", status=article.status,
        )  # fmt: skip
    return article


@transaction.atomic
def update_article(
    user, article: Article, *, title: str, body: str, lang: str, tags: Iterable[str]
) -> Article:
    require(user, CHANGE)
    fields = clean_article(title, body, lang, tags)
    changed = [name for name, value in fields.items() if getattr(article, name) != value]
    if not changed:
        return article
    for name in changed:
        setattr(article, name, fields[name])
    article.updated_at = clock.now()
    article.save(update_fields=[*changed, "updated_at"])
    return article


@transaction.atomic
def set_published(user, article: Article, published: bool) -> Article:
    """Publish (suggested to agents from now on) or take back to draft."""
    require(user, CHANGE)
    status = Article.Status.PUBLISHED if published else Article.Status.DRAFT
    if article.status == status:
        return article
    article.status = status
    article.updated_at = clock.now()
    article.save(update_fields=["status", "updated_at"])
    if article.source_case_id is not None:
        cases.record(
            article.source_case, CaseEvent.Kind.ARTICLE, user, article=article.pk,
            title=article.title, action="published" if published else "unpublished",
        )  # fmt: skip
    return article
