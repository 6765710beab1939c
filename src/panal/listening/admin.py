from django.contrib import admin

from .models import Author, Mention, MentionVersion


class MentionVersionInline(admin.TabularInline):
    model = MentionVersion
    extra = 0
    can_delete = False
    readonly_fields = ["text", "title", "valid_from", "replaced_at"]
    fields = readonly_fields


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    """Read-only: mentions change only through the ingest service."""

    list_display = ["id", "channel", "author_label", "lang", "brand", "created_at", "deleted_at"]
    list_filter = ["channel", "lang", "brand", "kind", "visibility"]
    search_fields = ["external_id", "author_handle"]
    date_hierarchy = "created_at"
    list_select_related = ["brand"]
    show_full_result_count = False
    inlines = [MentionVersionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["display_name", "handle", "channel", "followers", "last_seen_at"]
    list_filter = ["channel"]
    search_fields = ["handle", "display_name", "external_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
