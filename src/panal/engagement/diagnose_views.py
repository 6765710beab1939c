"""Pages (being written)."""

urlpatterns: list = []
