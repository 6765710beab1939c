"""Read-only admin of corrections and organisation models: they change through
learning.py (the mention page, the model page, `panal model retrain`)."""

from django.contrib import admin

from .models import Correction, OrgModel


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Correction)
class CorrectionAdmin(ReadOnly):
    list_display = ["id", "organisation", "field", "before", "after", "held_out", "corrected_by",
                    "created_at"]  # fmt: skip
    list_filter = ["field", "held_out", "organisation"]
    list_select_related = ["organisation", "corrected_by"]
    search_fields = ["text"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(OrgModel)
class OrgModelAdmin(ReadOnly):
    list_display = ["organisation", "task", "version", "status", "examples", "held_out",
                    "created_at", "promoted_at"]  # fmt: skip
    list_filter = ["task", "status", "organisation"]
    list_select_related = ["organisation"]
    exclude = ["archive"]  # a zip of the model directory; `panal model show` reads cards

    def get_queryset(self, request):
        return super().get_queryset(request).defer("archive")
