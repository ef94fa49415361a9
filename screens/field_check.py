"""Step 3: field by field: one of the 17 fields at a time, correct or wrong with a correction."""

from __future__ import annotations

from typing import ClassVar, cast

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, ProgressBar, Select, Static

from kiosk.fields import BY_KEY, FIELDS, Check, FieldSpec, Kind, field_kind_hint, text_rule
from kiosk.i18n import Lang, Msg
from kiosk.protocol.base import FieldKey
from kiosk.protocol.student import FieldDecision
from screens import text as T
from screens.base import KioskScreen
from screens.photo import PhotoScreen
from screens.topbar import TopBar
from screens.widgets.field_marks import FieldMarks
from screens.widgets.i18n import Tr, set_text
from screens.widgets.keys import Key, KeyBar, KeyMap
from screens.widgets.marks import MARK_CORRECT, MARK_OPEN, MARK_WRONG

_BACK = Key("Esc", "escape", "back", T.KEY_BACK)
_NEXT_BOX = Key("Tab", "tab", "app.focus_next", T.KEY_NEXT_BOX, by=Screen)
_CANCEL = Key("Esc", "escape", "back", T.KEY_CANCEL)


class FieldCheckScreen(KioskScreen[None]):
    """Label, value and progress of one field; Y correct, N wrong, ←/→ move.

    Opened from the record overview it walks through the fields and then to the photo;
    opened from the review (``return_to_review``) it closes once the field is decided.
    """

    CSS_PATH = "check.tcss"
    STEP = "fields"
    KEYS: ClassVar[KeyMap] = KeyMap(
        # Not Enter: pressed to go on, it marked field after field correct unread.
        verdict=(
            Key("Y", "y,Y", "correct", T.KEY_CORRECT),
            Key("N", "n,N", "wrong", T.KEY_WRONG),
            Key("← →", "right", "move(1)", T.KEY_PREV_NEXT),
            _BACK,
        ),
        editing=(Key("Enter", "enter", "save", T.KEY_SAVE, by=Input), _NEXT_BOX, _CANCEL),
        choosing=(Key("Enter", "enter", "app.noop", T.KEY_CHOOSE, by=Select), _NEXT_BOX, _CANCEL),
        hidden=(Key("", "left", "move(-1)"),),
    )
    """The key bar while deciding, while typing a correction, and in a list of choices."""
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def __init__(self, start: int | None = None, *, return_to_review: bool = False) -> None:
        super().__init__()
        self._start = start
        self.return_to_review = return_to_review
        self.index = 0
        self.editing = False

    def compose(self) -> ComposeResult:
        """Side list, then the field, its progress and the (hidden) correction editor."""
        yield TopBar(T.STEP_FIELDS, self.student_masked())
        with Horizontal(id="field-body"):
            yield FieldMarks(id="field-list")
            with Vertical(id="field-main"):
                with Horizontal(id="field-progress-row"):
                    yield Tr(id="field-position")
                    yield ProgressBar(
                        total=len(FIELDS),
                        show_eta=False,
                        show_percentage=False,
                        id="field-progress",
                    )
                yield Tr(id="field-label")
                yield Static(id="field-value", markup=False)
                yield Tr(id="field-mark")
                yield Tr(id="field-hint")
                with Vertical(id="field-editor"):
                    yield Tr(T.PROPOSED_PROMPT, classes="label")
                    yield Input(id="proposed-text", max_length=100, classes="proposal")
                    yield Input(
                        id="proposed-date",
                        max_length=10,
                        restrict=r"[0-9０-９\-－]*",
                        classes="proposal",
                    )
                    yield Select[str]((), id="proposed-choice", classes="proposal")
                    yield Tr(id="field-check")
                    yield Tr(T.NOTE_LABEL, classes="label")
                    yield Input(id="note", max_length=500, compact=True)
        yield KeyBar(self.KEYS["verdict"], id="field-keys")

    def on_mount(self) -> None:
        """Start at the requested field, or at the first one not yet decided."""
        if self._start is not None:
            self.index = self._start
        else:
            self.index = next(
                (i for i, spec in enumerate(FIELDS) if spec.key not in self.session.decisions), 0
            )
        self.query_one("#field-editor").display = False
        self.relabel(self.kiosk.lang)

    # --- showing ------------------------------------------------------------------------

    @property
    def spec(self) -> FieldSpec:
        """The field on screen."""
        return FIELDS[self.index]

    def relabel(self, lang: Lang) -> None:
        """The side list, placeholders and the choice prompt in ``lang``; then the field."""
        self.query_one("#proposed-text", Input).placeholder = T.TEXT_PLACEHOLDER.get(lang)
        self.query_one("#proposed-date", Input).placeholder = T.DATE_PLACEHOLDER.get(lang)
        self.query_one("#note", Input).placeholder = T.NOTE_PLACEHOLDER.get(lang)
        self.query_one("#proposed-choice", Select).prompt = T.CHOICE_PROMPT.get(lang)
        self._show_marks()
        self._show_field()

    def _show_marks(self, only: str | None = None) -> None:
        """The side list's marks and labels; ``only`` one field's after a decision.

        Only the changed line is replaced: rebuilding all 17 options on every key press was a
        tenth of the time from a key to the next field (bench/kiosk_bench.py).
        """
        lang = self.kiosk.lang
        decisions = self.session.decisions
        marks = self.query_one(FieldMarks)

        def line(spec: FieldSpec) -> str:
            decision = decisions.get(spec.key)
            mark = (
                MARK_OPEN
                if decision is None
                else MARK_CORRECT
                if decision.verdict == "correct"
                else MARK_WRONG
            )
            return f"{mark} {spec.label.get(lang)}"

        if only is None:
            marks.set_prompts([line(spec) for spec in FIELDS])
        else:
            marks.set_prompt(FIELDS.index(BY_KEY[only]), line(BY_KEY[only]))
        marks.highlighted = self.index

    def _show_field(self) -> None:
        spec = self.spec
        session = self.session
        decision = session.decisions.get(spec.key)
        self.query_one("#field-position", Tr).show(
            T.FIELD_POSITION.fmt(n=self.index + 1, total=len(FIELDS))
        )
        self.query_one(ProgressBar).update(progress=len(session.decisions))
        self.query_one("#field-label", Tr).show(spec.label)
        # The only place the ID number is shown in full: the student must check every digit.
        set_text(self.query_one("#field-value", Static), session.values().get(spec.key) or "-")
        mark: Msg
        if decision is None:
            mark = T.IS_IT_CORRECT
        elif decision.verdict == "correct":
            mark = T.MARKED_CORRECT
        else:
            mark = T.MARKED_WRONG.fmt(value=decision.proposed)
        self.query_one("#field-mark", Tr).show(mark)
        hint = field_kind_hint(spec.key, session.key_fields())
        self.query_one("#field-hint", Tr).show(hint)
        self.query_one(FieldMarks).highlighted = self.index

    # --- deciding -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a correction is typed, Y/N/arrows are text, not verdicts."""
        if action in ("correct", "wrong", "move"):
            return not self.editing
        if action == "save":
            return self.editing
        return True

    def action_correct(self) -> None:
        """The field is right."""
        key = cast(FieldKey, self.spec.key)
        self._decide(FieldDecision(key=key, verdict="correct"))

    def action_wrong(self) -> None:
        """The field is wrong: open the editor for the right value."""
        spec = self.spec
        decision = self.session.decisions.get(spec.key)
        previous = decision if decision is not None and decision.verdict == "incorrect" else None
        self.editing = True
        self.query_one("#field-editor").display = True
        self.query_one("#field-mark", Tr).display = False
        self.query_one("#field-keys", KeyBar).set_keys(self.KEYS["editing"])
        for widget in self.query(".proposal"):
            widget.display = False
        proposal = self._proposal_widget()
        proposal.display = True
        proposed = previous.proposed if previous is not None else None
        if isinstance(proposal, Select):
            proposal.set_options([(choice, choice) for choice in spec.choices])
            if proposed in spec.choices:
                proposal.value = proposed
        elif isinstance(proposal, Input):
            proposal.value = proposed or ""
        note = previous.note if previous is not None else None
        self.query_one("#note", Input).value = note or ""
        self._validate(report_empty=False)
        proposal.focus()

    def action_save(self) -> None:
        """Keep the correction if the validator accepts it (warnings allowed)."""
        check = self._validate(report_empty=True)
        if check is None:
            self._proposal_widget().focus()
            return
        note = self.query_one("#note", Input).value.strip() or None
        if note is not None:
            # The note goes to staff screens too: the same text rule as the correction.
            checked = text_rule(note)
            if not checked.ok:
                shown = self.query_one("#field-check", Tr)
                shown.show([problem.msg for problem in checked.errors])
                shown.set_class(True, "-error")
                self.query_one("#note", Input).focus()
                return
            note = checked.value
        key = cast(FieldKey, self.spec.key)
        self._stop_editing()
        self._decide(FieldDecision(key=key, verdict="incorrect", proposed=check.value, note=note))

    def _proposal_widget(self) -> Input | Select[str]:
        kind = self.spec.kind
        if kind is Kind.CHOICE:
            return self.query_one("#proposed-choice", Select)
        if kind is Kind.DATE:
            return self.query_one("#proposed-date", Input)
        return self.query_one("#proposed-text", Input)

    def _proposed_value(self) -> str:
        widget = self._proposal_widget()
        if isinstance(widget, Select):
            return widget.value if isinstance(widget.value, str) else ""
        return widget.value

    def _validate(self, *, report_empty: bool) -> Check | None:
        """Run the field's validator and show why a value is refused (or worth a look).

        Returns the check when the value may be saved, None when it may not.
        """
        value = self._proposed_value()
        shown = self.query_one("#field-check", Tr)
        if not value.strip() and not report_empty:
            shown.show(None)
            return None
        spec = self.spec
        values = self.session.values()
        check = spec.validate(value, values, today=self.kiosk.clock().astimezone().date())
        errors = [problem.msg for problem in check.errors]
        if not errors and check.value == values.get(spec.key):
            errors = [T.SAME_AS_CURRENT]
        warnings = [problem.msg for problem in check.warnings]
        shown.show(errors or warnings)
        shown.set_class(bool(errors), "-error")
        shown.set_class(not errors and bool(warnings), "-warning")
        return None if errors else check

    def on_input_changed(self, event: Input.Changed) -> None:
        """Validate the correction while it is typed."""
        if event.input.has_class("proposal") and self.editing:
            self._validate(report_empty=False)

    def on_select_changed(self, event: Select.Changed) -> None:
        """A choice was made: validate it. Tab goes on to the note, as the key bar says
        (a cursor that jumped there by itself made that Tab leave the note)."""
        if self.editing and isinstance(event.value, str):
            self._validate(report_empty=False)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The key bar tells what Enter does in the box that has the cursor."""
        if self.editing:
            opens = isinstance(event.widget, Select) or isinstance(event.widget.parent, Select)
            self.query_one("#field-keys", KeyBar).set_keys(
                self.KEYS["choosing" if opens else "editing"]
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the correction or the note saves."""
        event.stop()
        if self.editing:
            self.action_save()

    def on_field_marks_selected(self, event: FieldMarks.Selected) -> None:
        """A click in the side list jumps to that field."""
        if not self.editing:
            self.index = event.index
            self._show_field()

    def _stop_editing(self) -> None:
        self.editing = False
        self.query_one("#field-editor").display = False
        self.query_one("#field-check", Tr).show(None)
        self.query_one("#field-keys", KeyBar).set_keys(self.KEYS["verdict"])
        self.set_focus(None)

    # --- moving -------------------------------------------------------------------------

    def _decide(self, decision: FieldDecision) -> None:
        """Keep ``decision`` and move on: to the next open field, or to the photo."""
        session = self.session
        was_complete = session.fields_complete()
        session.decide(decision)
        self._show_marks(only=decision.key)
        if self.return_to_review:
            self.dismiss()
            return
        if session.fields_complete():
            # The last open field was just decided, or the student walked to the end again.
            if not was_complete or self.index == len(FIELDS) - 1:
                self.app.push_screen(PhotoScreen())
                self._show_field()
                return
            self.index += 1
        else:
            count = len(FIELDS)
            self.index = next(
                i
                for step in range(1, count + 1)
                if FIELDS[i := (self.index + step) % count].key not in session.decisions
            )
        self._show_field()

    def action_move(self, delta: int) -> None:
        """Previous or next field; past the last one to the photo once all are decided."""
        target = self.index + delta
        if 0 <= target < len(FIELDS):
            self.index = target
            self._show_field()
        elif target == len(FIELDS):
            if self.session.fields_complete():
                self.app.push_screen(PhotoScreen())
            else:
                self.query_one("#field-mark", Tr).show(T.ALL_FIELDS_FIRST)

    def action_back(self) -> None:
        """Cancel the correction being typed, or leave the screen."""
        if self.editing:
            self._stop_editing()
            self._show_field()
            return
        self.dismiss()
