"""Checks of `alerting` that span fields: each receiver has the credential its type needs, and
every name a route uses (receiver, mute time interval, matcher label) exists.

They run on validated settings, after pydantic, so each problem gets its own key
(`alerting.routes[0].receiver`, not `alerting`), the bad value, what is allowed and the
command that fixes it, and all of them are reported together with the rest of the stack's.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from config.errors import _ABSENT, Problem, set_command
from config.receivers import Alerting, Receiver

# Per receiver type: (field, what it is, example). `credential` names a secret config key.
NEEDED: dict[str, tuple[tuple[str, str, str], ...]] = {
    # A webhook whose URL is itself the secret leaves `url` out and names it in `credential` (url_file).
    "webhook": (("url", "the URL Alertmanager posts to (or, when the URL itself is secret, no url and "
                 "its secret key in credential)", "https://hc-ping.com/<uuid>"),),
    "slack": (("credential", "the secret key holding the Slack incoming-webhook URL", "slackWebhookUrl"),
              ("channel", "the channel to post to", "#alerts")),
    "email": (("to", "the recipient", "oncall@example.com"), ("from", "the sender", "alertmanager@example.com"),
              ("smarthost", "the SMTP server host:port", "smtp.example.com:587")),
    "pagerduty": (("credential", "the secret key holding the Events API v2 routing key", "pagerdutyRoutingKey"),),
    "opsgenie": (("credential", "the secret key holding the Opsgenie API key", "opsgenieApiKey"),),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    # webhook: a bearer token (or, without url, the URL itself); email: the SMTP password (with username).
    "webhook": ("credential",), "email": ("username", "credential"),
    "slack": (), "pagerduty": (), "opsgenie": (),
}
TYPE_FIELDS = ("url", "channel", "to", "from", "smarthost", "username", "credential")


def _value(receiver: Receiver, camel: str) -> Any:
    attribute = {"from": "from_"}.get(camel) or "".join("_" + c.lower() if c.isupper() else c for c in camel)
    return getattr(receiver, attribute)


def _set_fix(stack: str, key: str, example: str, secret_named: bool) -> str:
    fix = set_command(stack, key, example)
    return fix + (" && " + set_command(stack, example, "<value>", secret=True) if secret_named else "")


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _receiver_problems(alerting: Alerting, stack: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, r in enumerate(alerting.receivers):
        at = f"alerting.receivers[{i}]"
        if r.name in seen or r.name == "null":
            why = "is used by an earlier receiver" if r.name in seen else "is reserved for the receiver that drops Watchdog"
            yield Problem(f"{at}.name", r.name, f"receiver name {r.name!r} {why}; names must be unique",
                          set_command(stack, f"{at}.name", f"{r.name}-2"))
        seen.add(r.name)
        for camel, what, example in NEEDED[r.type]:
            secret_url = r.type == "webhook" and camel == "url" and r.credential is not None
            if _value(r, camel) is None and not secret_url:
                yield Problem(
                    f"{at}.{camel}", _ABSENT,
                    f"{_a(r.type)} receiver needs {camel}: {what}; {_a(r.type)} receiver takes "
                    f"{', '.join(f for f, _, _ in NEEDED[r.type])} (required) "
                    f"and {', '.join(OPTIONAL[r.type]) or 'nothing else'}",
                    _set_fix(stack, f"{at}.{camel}", example, camel == "credential"),
                )
        allowed = {f for f, _, _ in NEEDED[r.type]} | set(OPTIONAL[r.type])
        for camel in TYPE_FIELDS:
            if camel not in allowed and _value(r, camel) is not None:
                yield Problem(f"{at}.{camel}", _value(r, camel),
                              f"{_a(r.type)} receiver does not use {camel}; it takes {', '.join(sorted(allowed))}",
                              f"pulumi config rm --path '{at}.{camel}' --stack {stack}")
        if r.type == "email" and (r.username is None) != (r.credential is None):
            missing = "credential" if r.credential is None else "username"
            yield Problem(f"{at}.{missing}", _ABSENT,
                          f"an email receiver needs {missing} when it has "
                          f"{'username' if missing == 'credential' else 'credential'} (the SMTP password's secret key): "
                          "SMTP login takes both (or neither, for a relay that takes mail without login)",
                          _set_fix(stack, f"{at}.{missing}", "smtpPassword" if missing == "credential" else "alertmanager",
                                   missing == "credential"))


def _name_problem(stack: str, key: str, value: str, kind: str, names: list[str], how_to_add: str) -> Problem:
    near = difflib.get_close_matches(value, names, n=1)
    defined = ", ".join(names) or "none"
    return Problem(
        key, value, f"no {kind} is called {value!r}; {kind}s defined in this stack: {defined}",
        (set_command(stack, key, near[0]) if near else f"name one of them in '{key}'") + f", or {how_to_add}",
    )


def _reference_problems(alerting: Alerting, stack: str) -> Iterator[Problem]:
    routing = alerting.routing
    receivers = [r.name for r in alerting.receivers]
    add_receiver = "add a receiver of that name to alerting.receivers (README: 'Add a receiver')"
    for level in ("default", "critical", "warning", "dead_mans_switch"):
        target = getattr(routing, level)
        camel = "deadMansSwitch" if level == "dead_mans_switch" else level
        if target is not None and target not in receivers:
            yield _name_problem(stack, f"alerting.routing.{camel}", target, "receiver", receivers, add_receiver)
    for i, route in enumerate(alerting.routes):
        if route.receiver not in receivers:
            yield _name_problem(stack, f"alerting.routes[{i}].receiver", route.receiver, "receiver", receivers, add_receiver)

    intervals = [m.name for m in alerting.mute_time_intervals]
    for i, name in enumerate(intervals):
        if name in intervals[:i]:
            yield Problem(f"alerting.muteTimeIntervals[{i}].name", name, "this name is used by an earlier interval; "
                          "names must be unique", set_command(stack, f"alerting.muteTimeIntervals[{i}].name", f"{name}-2"))
    add_interval = "define it in alerting.muteTimeIntervals (README: 'Mute alerts at night')"
    uses = [(f"alerting.routing.muteTimeIntervals.{sev}[{j}]", n)
            for sev, names in sorted(routing.mute_time_intervals.items()) for j, n in enumerate(names)]
    uses += [(f"alerting.routes[{i}].muteTimeIntervals[{j}]", n)
             for i, route in enumerate(alerting.routes) for j, n in enumerate(route.mute_time_intervals)]
    for key, name in uses:
        if name not in intervals:
            yield _name_problem(stack, key, name, "mute time interval", intervals, add_interval)

    switch = routing.dead_mans_switch
    if switch:
        users = [f"routing.{sev}" for sev in ("critical", "warning") if (getattr(routing, sev) or routing.default) == switch]
        users += [f"routes[{i}]" for i, r in enumerate(alerting.routes) if r.receiver == switch]
        if users:
            yield Problem(
                "alerting.routing.deadMansSwitch", switch,
                f"receiver {switch!r} also takes {', '.join(users)}: the dead man's switch gets Watchdog every "
                f"{routing.dead_mans_switch_interval} and must be a receiver of its own (its ping URL), used by nothing else",
                "add a webhook receiver with the switch's URL and name it here: "
                + set_command(stack, "alerting.routing.deadMansSwitch", "deadman"),
            )


def alerting_problems(alerting: Alerting, stack: str) -> list[Problem]:
    """Every problem of `alerting` on its own: credentials, and names routes use."""
    return [*_receiver_problems(alerting, stack), *_reference_problems(alerting, stack)]


def matcher_label_problems(alerting: Alerting, labels: set[str], stack: str) -> list[Problem]:
    """Route matchers on labels no alert of the stack carries (such a route never matches).
    `labels` come from the generated content (content.routing.routable_labels), hence a
    check of its own that content.checks runs once the stack's content is built."""
    return list(_label_problems(alerting, labels, stack))


def _label_problems(alerting: Alerting, labels: set[str], stack: str) -> Iterator[Problem]:
    for i, route in enumerate(alerting.routes):
        for label in sorted(route.match):
            if label not in labels:
                near = difflib.get_close_matches(label, sorted(labels), n=1)
                yield Problem(
                    f"alerting.routes[{i}].match.{label}", route.match[label],
                    f"no alert of this stack carries label {label!r}, so the route would never match; "
                    f"labels routes can match: {', '.join(sorted(labels))} (add your own with applications[].labels "
                    "or alertOverrides[].labels)",
                    f"pulumi config rm --path 'alerting.routes[{i}].match.{label}' --stack {stack}"
                    + (f", then set 'alerting.routes[{i}].match.{near[0]}' instead" if near else ""),
                )


