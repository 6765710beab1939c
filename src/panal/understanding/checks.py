"""Start-up check: every model shipped with Panal loads (docs/pipeline.md#start-up-check).

A missing, truncated or altered model file must stop `panal run`, `panal worker` and
`panal migrate` with a message naming the file, never label mentions wrongly. Django runs
this system check before those commands (and `panal check`); `panal train`, which
rebuilds the models, does not run it.
"""

from __future__ import annotations

from django.core import checks

from . import builtin, engine, language

HINT = (
    "Rebuild the shipped models with `panal train` (from a source checkout), or reinstall "
    "Panal (pip install --force-reinstall panal) to get intact model files."
)


@checks.register("panal_models")
def check_shipped_models(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """An Error for each shipped model that cannot be loaded, naming the file and why."""
    errors: list[checks.CheckMessage] = []
    try:
        language.load()
    except language.LanguageModelError as exc:
        errors.append(checks.Error(str(exc), id="understanding.E001"))
    for recipe in builtin.recipes():
        name = f"{engine.BUILTIN_PREFIX}{recipe.name}"
        try:
            builtin.predictor(name)  # a fresh load: not a copy cached before the damage
        except engine.ModelError as exc:
            errors.append(
                checks.Error(
                    f"The shipped model {name} cannot be used: {exc.reason}",
                    hint=HINT,
                    obj=exc.path,
                    id="understanding.E002",
                )
            )
    return errors
