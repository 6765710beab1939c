"""The engagement pages: each area keeps its own routes in its views module."""

from . import (
    approval_views,
    case_views,
    composer_views,
    continuity_views,
    diagnose_views,
    idea_views,
    knowledge_views,
    presence_views,
    rule_views,
)

urlpatterns = [
    *case_views.urlpatterns,
    *presence_views.urlpatterns,
    *composer_views.urlpatterns,
    *approval_views.urlpatterns,
    *rule_views.urlpatterns,
    *diagnose_views.urlpatterns,
    *continuity_views.urlpatterns,
    *knowledge_views.urlpatterns,
    *idea_views.urlpatterns,
]
