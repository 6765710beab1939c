"""`panal model train|evaluate|show|retrain`: the classifier engine's CLI
(docs/understanding.md).

Exit codes: 0 done; 1 bad input (a data file with a bad line, a broken or missing model,
training data that cannot make a model, an unknown organisation or user), with the
reason on stderr; 2 (retrain) too few corrections to train or judge a model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from panal.understanding import builtin, engine, learning, metrics, training
from panal.understanding.corpus import DataError, read_examples
from panal.understanding.engine import EngineParams, ModelError, TrainingError


class Command(BaseCommand):
    help = "Train, evaluate and describe text classifiers."
    # Training and scoring read files only; the system checks would cost half a second.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        train = sub.add_parser(
            "train", help="Fit a model on a JSON Lines file of {text, label} lines."
        )
        train.add_argument("--task", required=True, help="what the model tells, e.g. intent")
        train.add_argument(
            "--train", required=True, type=Path, metavar="FILE.jsonl", help="training lines"
        )
        train.add_argument(
            "--dev",
            type=Path,
            metavar="FILE.jsonl",
            help="development file to score on and tune with "
            f"(default: hold out {training.HOLDOUT:.0%}% of the training file)",
        )
        train.add_argument(
            "--oos-label",
            metavar="LABEL",
            help="the out-of-scope label, answered when the model is unsure",
        )
        train.add_argument(
            "--out", required=True, type=Path, metavar="DIR", help="model directory to write"
        )
        defaults = EngineParams()
        train.add_argument(
            "--c",
            type=float,
            default=defaults.c,
            help="inverse regularisation (default %(default)s)",
        )
        train.add_argument(
            "--min-df",
            type=int,
            default=defaults.min_df,
            metavar="N",
            help="keep features seen in at least N training texts (default %(default)s)",
        )
        train.add_argument(
            "--char-ngrams",
            default=f"{defaults.char_min}-{defaults.char_max}",
            metavar="MIN-MAX",
            help="character n-gram lengths inside words (default %(default)s)",
        )
        train.add_argument(
            "--word-ngrams",
            type=int,
            default=defaults.word_ngrams,
            metavar="N",
            help="word n-grams up to N words (default %(default)s)",
        )
        train.add_argument(
            "--multi-label",
            action="store_true",
            help="one binary model per label, each with its own threshold tuned on dev "
            "(the default when a training line has several labels)",
        )
        train.add_argument(
            "--embeddings",
            choices=[*sorted(engine.EMBEDDINGS), "none"],
            default="e5",
            help="blend in a model on sentence embeddings, its share chosen on dev (e5, the "
            "default: multilingual-e5-small, bundled; about 100 texts/s to train and to "
            "predict); none: the sparse model alone, hundreds of times faster",
        )
        train.add_argument("--quiet", action="store_true", help="no progress messages")

        evaluate = sub.add_parser(
            "evaluate", help="Score a model on a labelled file; print one JSON object."
        )
        evaluate.add_argument("--model", required=True, metavar="DIR|builtin:NAME")
        evaluate.add_argument("--test", required=True, type=Path, metavar="FILE.jsonl")
        evaluate.add_argument(
            "--batch-size", type=int, default=metrics.BATCH, metavar="N", help="default %(default)s"
        )
        evaluate.add_argument(
            "--per-label",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="include per-label scores (default yes; --no-per-label leaves them out)",
        )

        show = sub.add_parser("show", help="Print a model's card (model.json) after checking it.")
        show.add_argument("model", metavar="DIR|builtin:NAME")

        retrain = sub.add_parser(
            "retrain",
            help="Train an organisation's own model from its corrections; promote it if it "
            "is not worse than the model in use on the held-out corrections.",
        )
        retrain.add_argument("--org", required=True, metavar="SLUG", help="the organisation")
        retrain.add_argument(
            "--task",
            choices=[*learning.TASKS, "all"],
            default="all",
            help="which model (default %(default)s: every task with enough corrections)",
        )
        retrain.add_argument(
            "--user",
            metavar="USERNAME",
            help="who asks (recorded as creator and promoter; needs the permission to "
            "retrain); default: the command line",
        )

    def handle(self, *args, **options) -> None:
        try:
            getattr(self, "_" + options["action"])(options)
        except (DataError, ModelError, TrainingError) as exc:
            raise CommandError(str(exc), returncode=1) from None

    def _train(self, options) -> None:
        try:
            char_min, char_max = (int(v) for v in options["char_ngrams"].split("-"))
        except ValueError:
            raise CommandError("--char-ngrams is MIN-MAX, e.g. 2-5") from None
        if not 1 <= char_min <= char_max <= 8 or options["word_ngrams"] < 1:
            raise CommandError("n-gram lengths: 1 ≤ MIN ≤ MAX ≤ 8, word n-grams ≥ 1")
        if options["c"] <= 0 or options["min_df"] < 1:
            raise CommandError("--c must be positive and --min-df at least 1")
        params = EngineParams(
            c=options["c"],
            min_df=options["min_df"],
            char_min=char_min,
            char_max=char_max,
            word_ngrams=options["word_ngrams"],
            multilabel=options["multi_label"],
            embeddings=None if options["embeddings"] == "none" else options["embeddings"],
        )
        err = getattr(self.stderr, "_out", sys.stderr)
        console = Console(file=err, quiet=options["quiet"], log_path=False, soft_wrap=True)
        started = time.perf_counter()
        with console.status("Starting") as status:

            def progress(message: str) -> None:
                elapsed = time.perf_counter() - started
                console.print(f"{elapsed:6.1f} s  {message}", highlight=False, markup=False)
                status.update(f"{message}…")

            trained = training.train_files(
                task=options["task"],
                train=options["train"],
                dev=options["dev"],
                oos_label=options["oos_label"],
                out=options["out"],
                params=params,
                progress=progress,
            )
        card = trained.model.card
        self.stdout.write(
            f"Saved {options['task']} model {card['version']} to {trained.path} "
            f"({len(trained.model.labels)} labels, "
            f"{card['features']['words'] + card['features']['chars']:,} features, "
            f"{card['weights']['bytes'] / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s"
        )
        if trained.dev is not None:
            self.stdout.write(_dev_line(trained.dev, card))

    def _evaluate(self, options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        model = builtin.predictor(options["model"])
        fallback = "lang" if options["model"] == "builtin:language" else None
        examples = read_examples(options["test"], fallback_label=fallback).examples
        result = metrics.evaluate(model, examples, options["batch_size"])
        if not options["per_label"]:
            result.pop("per_label")
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _show(self, options) -> None:
        model = engine.load(options["model"])
        self.stdout.write(json.dumps(model.card, indent=2, ensure_ascii=False))

    def _retrain(self, options) -> None:
        from django.contrib.auth import get_user_model
        from django.core.exceptions import PermissionDenied

        from panal.org.models import Organisation

        try:
            organisation = Organisation.objects.get(slug=options["org"])
        except Organisation.DoesNotExist:
            raise CommandError(f"no organisation with slug {options['org']!r}") from None
        actor = None
        if options["user"]:
            try:
                actor = get_user_model().objects.get_by_natural_key(options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user {options['user']!r}") from None
        tasks = learning.TASKS if options["task"] == "all" else (options["task"],)
        too_few = []
        trained = 0
        for task in tasks:
            try:
                row = learning.retrain(organisation, task, actor)
            except learning.NotEnoughCorrections as exc:
                too_few.append(str(exc))
                continue
            except (learning.RetrainBusy, PermissionDenied) as exc:
                raise CommandError(str(exc)) from None
            trained += 1
            verdict = "promoted" if row.status == row.Status.PROMOTED else "not promoted"
            self.stdout.write(f"{task}: version {row.version} {verdict}")
            self.stdout.write(f"  {row.note}")
        for message in too_few:
            self.stderr.write(message)
        if not trained:
            raise CommandError("nothing retrained", returncode=2)


def _dev_line(scores: dict, card: dict) -> str:
    source = card.get("dev", {})
    where = (
        f"dev file {source.get('file')}"
        if source.get("source") == "file"
        else f"{source.get('fraction', 0):.0%} held out"
    )
    parts = [
        f"n {scores['n']:,}",
        f"accuracy {scores['accuracy']:.2%}",
        f"macro F1 {scores['macro_f1']:.2%}",
        f"macro recall {scores['macro_recall']:.2%}",
    ]
    if scores.get("in_scope_accuracy") is not None:
        parts.append(f"in-scope accuracy {scores['in_scope_accuracy']:.2%}")
    if scores.get("oos_recall") is not None:
        parts.append(f"out-of-scope recall {scores['oos_recall']:.2%}")
    if card.get("threshold") is not None:
        parts.append(f"threshold {card['threshold']:.3f} ({card['oos']['variant']})")
    if scores.get("label_set_f1") is not None:
        parts.append(f"label-set F1 {scores['label_set_f1']:.2%}")
    if card.get("embeddings"):
        parts.append(
            f"embeddings {card['embeddings']['kind']} weight {card['embeddings']['weight']}"
        )
    parts.append(f"{scores['texts_per_second']:,} texts/s")
    return f"Dev scores ({where}): " + ", ".join(parts)
