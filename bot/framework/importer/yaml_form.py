"""Read the YAML form of a framework, remembering the source line of every value."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.calendar.periods import Period, PeriodError
from bot.calendar.round_calendar import CalendarError, RoundCalendar
from bot.framework.baf import BafError, BafScale, check_appetite
from bot.framework.cover_title import title_problem
from bot.framework.importer.errors import Problems
from bot.framework.importer.limits import (
    MAX_VALUE_CHARS,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    value_too_long,
)
from bot.framework.importer.spec import (
    AbsenceSpec,
    DeliverableSpec,
    FrameworkSpec,
    PersonSpec,
    RiskSpec,
    ThemeSpec,
    check_direction,
    check_email,
    check_score,
    check_slack_id,
    check_target,
    check_target_date,
    file_text,
    finish,
    one_line,
)
from bot.framework.people import check_channel
from bot.framework.rules import Rules, RulesError

TOP_KEYS = ("name", "organisation", "period", "as_of", "rules", "cover", "baf", "people",
            "themes")
PERSON_KEYS = ("id", "name", "title", "email", "slack_id", "channel",
               "away_from", "away_to", "cover", "away_note")
THEME_KEYS = ("name", "ambition", "objectives", "risks", "deliverables")
RISK_KEYS = ("number", "title", "score", "direction", "owner", "owners", "lead_committee",
             "cause", "event", "impact", "appetite", "target", "target_date", "carried_from")
RISK_TEXTS = ("lead_committee", "cause", "event", "impact")
DELIVERABLE_KEYS = ("ref", "number", "area", "title", "sro", "delegates", "carried_from")


class _Map(dict):  # type: ignore[type-arg]
    """A YAML mapping that knows its line and the line and raw text of each value."""

    line: int
    lines: dict[Any, int]
    raw: dict[Any, str]
    repeated: list[tuple[Any, int]]


class _Seq(list):  # type: ignore[type-arg]
    line: int
    lines: list[int]
    raw: list[str | None]


class _TooLarge(yaml.YAMLError):
    """A YAML file beyond the limits of ``bot.framework.importer.limits``."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark, self.message = mark, message


class _LineLoader(yaml.SafeLoader):
    """A safe loader that also refuses, while it reads, values longer than
    ``MAX_VALUE_CHARS``, nesting deeper than ``MAX_YAML_DEPTH`` (PyYAML would recurse until
    Python gives up) and more than ``MAX_YAML_NODES`` values with aliases expanded."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._weights: dict[int, int] = {}  # id(node): values in it, aliases expanded
        self._read = 0  # nodes read so far: a long file is stopped early, not read to its end

    def fetch_flow_collection_start(self, TokenClass: type) -> None:
        # ``[[[[…`` is refused as it is scanned: PyYAML looks ahead over every open bracket.
        if self.flow_level >= MAX_YAML_DEPTH:
            raise _TooLarge(self.get_mark(), f"nested more than {MAX_YAML_DEPTH} levels deep")
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        if self._depth >= MAX_YAML_DEPTH:
            raise _TooLarge(self.peek_event().start_mark,
                            f"nested more than {MAX_YAML_DEPTH} levels deep")
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) in self._weights:  # an alias of a node already read
            return node
        self._read += 1
        if isinstance(node, yaml.ScalarNode):
            if len(node.value) > MAX_VALUE_CHARS:
                raise _TooLarge(node.start_mark, value_too_long(len(node.value)))
            weight = 1
        elif isinstance(node, yaml.MappingNode):
            weight = 1 + sum(self._weights[id(key)] + self._weights[id(value)]
                             for key, value in node.value)
        else:
            weight = 1 + sum(self._weights[id(child)] for child in node.value)
        if weight > MAX_YAML_NODES or self._read > MAX_YAML_NODES:
            raise _TooLarge(node.start_mark, f"more than {MAX_YAML_NODES:,} values (counting "
                                             "what aliases repeat); a framework has far fewer")
        self._weights[id(node)] = weight
        return node


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line, result.lines, result.raw, result.repeated = node.start_mark.line + 1, {}, {}, []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found an unhashable key",
                key_node.start_mark) from None
        if key in result:
            result.repeated.append((key, key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = value_node.start_mark.line + 1
        if isinstance(value_node, yaml.ScalarNode):
            result.raw[key] = value_node.value
    return result


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.raw = [child.value if isinstance(child, yaml.ScalarNode) else None
                  for child in node.value]
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def read_yaml(path: Path, problems: Problems) -> FrameworkSpec:
    text = file_text(path, problems)
    try:
        document = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except _TooLarge as error:
        raise problems.fail(f"line {error.mark.line + 1}", "", error.message) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark else ""
        raise problems.fail(where, "", f"malformed YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise problems.fail("", "", f"malformed YAML: {error}") from None
    if document is None:
        raise problems.fail("", "", "the file is empty")
    if not isinstance(document, _Map):
        raise problems.fail("line 1", "", "expected a mapping with 'name', 'people' and 'themes'")
    spec = _Reader(problems).framework(document)
    if not spec.deliverables and not problems:
        problems.add(f"line {document.lines.get('themes', document.line)}", "themes",
                     "no deliverables: list them under each theme's 'deliverables'")
    finish(spec, problems)
    return spec


class _Reader:
    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    # -- the parts of the file -------------------------------------------------------------

    def framework(self, doc: _Map) -> FrameworkSpec:
        self.keys(doc, TOP_KEYS, "")
        spec = FrameworkSpec(kind="yaml")
        spec.name = self.text(doc, "name", "")
        spec.organisation = self.text(doc, "organisation", "")
        key = "as_of" if "as_of" in doc else "period"  # as_of: a synonym of period:
        if "as_of" in doc and "period" in doc:
            self.add(doc, "as_of", "as_of", "give either period or as_of, not both")
        period_text = self.text(doc, key, "")
        if period_text is not None:
            try:
                spec.period = Period.parse(period_text)
            except PeriodError as error:
                self.add(doc, key, key, str(error))
        spec.rules = self.mapping(doc, "rules", "")
        if spec.rules:
            self.check_rules(doc, spec.rules)
        spec.cover = self.mapping(doc, "cover", "")
        spec.baf = self.mapping(doc, "baf", "")
        if spec.baf is not None:
            try:
                spec.baf = BafScale.from_config(spec.baf).config()
            except BafError as error:
                self.add(doc, "baf", "baf", str(error))
        cover = doc.get("cover")
        if spec.cover and isinstance(cover, _Map):
            for key, value in cover.items():
                if str(key).strip().lower() == "title":
                    problem = title_problem(str(value))
                    if problem:
                        self.add(cover, key, f"cover.{key}", problem)
        for path, item in self.mappings(doc, "people", ""):
            person = self.person(item, path, spec.people)
            if person is not None:
                spec.people.append(person)
        handles = [person.handle for person in spec.people]
        for person in spec.people:
            if person.absence and person.absence.cover and person.absence.cover not in handles:
                self.problems.add("", person.absence.where.replace("away_from", "cover"),
                                  f"cover '{person.absence.cover}' is not a person id in "
                                  "this file")
        themes = list(self.mappings(doc, "themes", "", required=True))
        for path, item in themes:
            self.theme(item, path, spec, handles)
        return spec

    def person(self, item: _Map, path: str, known: list[PersonSpec]) -> PersonSpec | None:
        self.keys(item, PERSON_KEYS, path)
        handle = self.text(item, "id", path, required=True)
        name = self.text(item, "name", path, required=True)
        email = self.text(item, "email", path)
        slack_id = self.text(item, "slack_id", path)
        if handle is not None and any(person.handle == handle for person in known):
            self.add(item, "id", f"{path}.id", f"person id '{handle}' is used twice")
            return None
        if email is not None:
            email = email.lower()
            problem = check_email(email)
            if problem:
                self.add(item, "email", f"{path}.email", problem)
            elif any(person.email == email for person in known):
                self.add(item, "email", f"{path}.email", f"email {email} is used by two people")
        if slack_id is not None and (problem := check_slack_id(slack_id)):
            self.add(item, "slack_id", f"{path}.slack_id", problem)
        channel = self.text(item, "channel", path)
        if channel is not None and (problem := check_channel(channel)):
            self.add(item, "channel", f"{path}.channel", problem)
        if handle is None or name is None:
            return None
        return PersonSpec(handle=handle, key=handle, name=name,
                          title=self.text(item, "title", path) or "", email=email,
                          slack_id=slack_id, channel=channel.lower() if channel else None,
                          absence=self.absence(item, path))

    def absence(self, item: _Map, path: str) -> AbsenceSpec | None:
        """``away_from`` and ``away_to`` (ISO dates, both inclusive), optional ``cover`` (another
        person's id, checked once every person is read) and ``away_note``."""
        days = {}
        for key in ("away_from", "away_to"):
            text = self.text(item, key, path)
            if text is None:
                continue
            try:
                days[key] = date.fromisoformat(text)
            except ValueError:
                self.add(item, key, _join(path, key), f"'{text}' is not a date: write it as "
                         "YYYY-MM-DD, e.g. 2025-08-04")
        cover, note = self.text(item, "cover", path), self.text(item, "away_note", path)
        given = [key for key in ("away_from", "away_to") if item.get(key) is not None]
        if len(given) == 1 or ((cover or note) and not given):
            missing = "away_to" if given == ["away_from"] else "away_from"
            self.add(item, missing, _join(path, missing),
                     "an absence needs both away_from and away_to")
            return None
        if len(days) < 2:
            return None
        if days["away_to"] < days["away_from"]:
            self.add(item, "away_to", _join(path, "away_to"), "away_to is before away_from")
            return None
        return AbsenceSpec(starts=days["away_from"], ends=days["away_to"], cover=cover,
                           note=note or "", where=_join(path, "away_from"))

    def theme(self, item: _Map, path: str, spec: FrameworkSpec, handles: list[str]) -> None:
        self.keys(item, THEME_KEYS, path)
        name = self.text(item, "name", path, required=True)
        if name is not None and any(theme.name.casefold() == name.casefold()
                                    for theme in spec.themes):
            self.add(item, "name", f"{path}.name", f"theme '{name}' appears twice")
        theme = ThemeSpec(name=name or "", ambition=self.text(item, "ambition", path,
                                                              one_line_only=False) or "",
                          objectives=self.objectives(item, path))
        for risk_path, risk in self.mappings(item, "risks", path):
            risk_spec = self.risk(risk, risk_path, handles)
            if risk_spec is None:
                continue
            if any(other.number == risk_spec.number
                   for other_theme in [*spec.themes, theme] for other in other_theme.risks):
                self.add(risk, "number", f"{risk_path}.number",
                         f"BAF risk number '{risk_spec.number}' is used twice")
            theme.risks.append(risk_spec)
        spec.themes.append(theme)
        for item_path, deliverable in self.mappings(item, "deliverables", path):
            found = self.deliverable(deliverable, item_path, theme.name, handles)
            if found is not None:
                spec.deliverables.append(found)

    def objectives(self, item: _Map, path: str) -> list[str]:
        value = item.get("objectives")
        if value is None:
            return []
        if isinstance(value, str):
            return [value.strip()]
        if not isinstance(value, _Seq):
            self.add(item, "objectives", f"{path}.objectives", "expected a list of objectives")
            return []
        objectives = []
        for index, objective in enumerate(value):
            text = _scalar_text(objective, value.raw[index])
            if text is None:
                self.problems.add(f"line {value.lines[index]}", f"{path}.objectives[{index}]",
                                  "expected text")
            elif text.strip():
                objectives.append(text.strip())
        return objectives

    def risk(self, item: _Map, path: str, handles: list[str]) -> RiskSpec | None:
        self.keys(item, RISK_KEYS, path)
        number = self.text(item, "number", path, required=True)
        title = self.text(item, "title", path, required=True)
        score: int | None = None
        if "score" not in item or item["score"] is None:
            self.add(item, "score", f"{path}.score", "missing score (a whole number 1–25)")
        else:
            score, problem = check_score(item["score"])
            if problem:
                self.add(item, "score", f"{path}.score", problem)
        direction = self.text(item, "direction", path)
        if direction is not None:
            direction, problem = check_direction(direction)
            if problem:
                self.add(item, "direction", f"{path}.direction", problem)
        owners = self.risk_owners(item, path, handles)
        details = self.risk_details(item, path)
        if number is None or title is None or score is None:
            return None
        carried = self.text(item, "carried_from", path)
        return RiskSpec(number=number, title=title, score=score, direction=direction,
                        owners=owners, details=details, carried_from=carried or None,
                        where=f"line {item.lines.get('carried_from', item.line)}",
                        carried_field=f"{path}.carried_from")

    def risk_owners(self, item: _Map, path: str, handles: list[str]) -> tuple[str, ...] | None:
        if "owner" in item and "owners" in item:
            self.add(item, "owners", f"{path}.owners", "give either owner or owners, not both")
        key = "owners" if "owners" in item else "owner"
        if key not in item:
            return None
        found = self.people_ids(item, key, path, handles)
        return tuple(found or ())

    def risk_details(self, item: _Map, path: str) -> dict[str, Any] | None:
        """The RiskDetail fields the file gives (absent ones are left as stored)."""
        details: dict[str, Any] = {}
        for key in RISK_TEXTS:
            if key in item:
                details[key] = self.text(item, key, path, one_line_only=key ==
                                         "lead_committee") or ""
        if "appetite" in item:
            text = self.text(item, "appetite", path)
            details["appetite"] = None
            if text is not None:
                details["appetite"], problem = check_appetite(text)
                if problem:
                    self.add(item, "appetite", f"{path}.appetite", problem)
        if "target" in item:
            details["target_score"] = None
            if item["target"] is not None:
                details["target_score"], problem = check_target(item["target"])
                if problem:
                    self.add(item, "target", f"{path}.target", problem)
        if "target_date" in item:
            details["target_date"] = None
            if item["target_date"] is not None:
                details["target_date"], problem = check_target_date(item["target_date"])
                if problem:
                    self.add(item, "target_date", f"{path}.target_date", problem)
        return details or None

    def deliverable(
        self, item: _Map, path: str, theme: str, handles: list[str]
    ) -> DeliverableSpec | None:
        self.keys(item, DELIVERABLE_KEYS, path)
        title = self.text(item, "title", path, required=True)
        sros = self.people_ids(item, "sro", path, handles, required=True)
        delegates = self.people_ids(item, "delegates", path, handles)
        for handle in delegates or ():
            if handle in (sros or ()):
                self.add(item, "delegates", f"{path}.delegates",
                         f"'{handle}' is already an SRO of this deliverable")
        if title is None or not sros:
            return None
        return DeliverableSpec(
            theme=theme, area=self.text(item, "area", path) or "", title=title,
            sros=tuple(sros), where=f"line {item.line}", path=path,
            ref=self.text(item, "ref", path), number=self.text(item, "number", path),
            delegates=None if delegates is None else tuple(delegates),
            carried_from=self.text(item, "carried_from", path),
        )

    def people_ids(
        self, item: _Map, key: str, path: str, handles: list[str], *, required: bool = False
    ) -> list[str] | None:
        """Person ids: one id or a list of ids, each one of the file's people."""
        field = f"{path}.{key}"
        value = item.get(key)
        if value is None or value == []:
            if required:
                self.add(item, key, field, f"missing {key} (a person id or a list of ids)")
            return None if key not in item else []
        if isinstance(value, _Seq):
            entries = [(f"line {line}", _scalar_text(v, raw))
                       for v, line, raw in zip(value, value.lines, value.raw, strict=True)]
        else:
            entries = [(f"line {item.lines[key]}", _scalar_text(value, item.raw.get(key)))]
        found: list[str] = []
        for where, handle in entries:
            if handle is None or not handle.strip():
                self.problems.add(where, field, "expected a person id")
                continue
            handle = handle.strip()
            if handle not in handles:
                label = {"sro": "SRO", "delegates": "delegate"}.get(key, "risk owner")
                hint = difflib.get_close_matches(handle, handles, n=1)
                suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problems.add(where, field, f"unknown {label} id '{handle}'{suffix}")
            elif handle in found:
                self.problems.add(where, field, f"'{handle}' is listed twice")
            else:
                found.append(handle)
        return found

    # -- helpers ----------------------------------------------------------------------------

    def check_rules(self, doc: _Map, rules: dict[str, Any]) -> None:
        """Governance rules and the round calendar are checked now, not when a job runs."""
        try:
            Rules.from_config(rules)
        except RulesError as error:
            self.add(doc, "rules", "rules", str(error))
        try:
            RoundCalendar.from_rules(rules.get("calendar") or {})
        except CalendarError as error:
            self.add(doc, "rules", "rules.calendar", str(error))

    def add(self, item: _Map, key: str, field: str, message: str) -> None:
        self.problems.add(f"line {item.lines.get(key, item.line)}", field, message)

    def keys(self, item: _Map, allowed: tuple[str, ...], path: str) -> None:
        for key, line in item.repeated:
            self.problems.add(f"line {line}", _join(path, str(key)), f"'{key}' is given twice")
        for key in item:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                expected = (f"did you mean '{hint[0]}'?" if hint
                            else f"expected {', '.join(allowed)}")
                self.add(item, key, _join(path, str(key)), f"unknown key '{key}' ({expected})")

    def text(
        self, item: _Map, key: str, path: str, *, required: bool = False,
        one_line_only: bool = True,
    ) -> str | None:
        """A text value (numbers and dates are taken as written), or None when absent."""
        value = item.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(item, key, _join(path, key), f"missing {key}")
            return None
        text = _scalar_text(value, item.raw.get(key))
        if text is None:
            self.add(item, key, _join(path, key), f"{key} must be text, not a list or mapping")
            return None
        return one_line(text) if one_line_only else text.strip()

    def mapping(self, item: _Map, key: str, path: str) -> dict[str, Any] | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, _Map):
            self.add(item, key, _join(path, key), f"{key} must be a mapping of names to values")
            return None
        return _plain(value)

    def mappings(
        self, item: _Map, key: str, path: str, *, required: bool = False
    ) -> Iterator[tuple[str, _Map]]:
        value = item.get(key)
        if value is None:
            if required:
                self.add(item, key, _join(path, key), f"missing {key}")
            return
        if not isinstance(value, _Seq):
            self.add(item, key, _join(path, key), f"{key} must be a list")
            return
        for index, child in enumerate(value):
            child_path = f"{_join(path, key)}[{index}]"
            if isinstance(child, _Map):
                yield child_path, child
            else:
                self.problems.add(f"line {value.lines[index]}", child_path,
                                  "expected a mapping of keys to values")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _scalar_text(value: object, raw: str | None) -> str | None:
    """Scalars as the author wrote them (so ``01`` stays ``01``); None for lists and mappings."""
    if isinstance(value, dict | list):
        return None
    if isinstance(value, str):
        return value
    return raw if raw is not None else str(value)


def _plain(value: Any) -> Any:
    """Plain JSON-ready values for the rules and cover columns."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value

