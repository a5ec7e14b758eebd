"""Where alerts go: receivers, the route tree and mute time intervals. References between them
are checked in config.alerting, which reports each bad one under its own key."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, Field, model_validator

from config.errors import _ABSENT, FieldIssue, FieldIssuesError
from config.fields import Duration, HostPort, LabelName, Model, Name, SecretKey
from config.overrides import Severity

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Receiver(Model):
    """An Alertmanager receiver; credentials are named config secrets, never inline values.
    Which fields each type needs is checked by `config.alerting`, so that a missing credential
    is reported with its own key and the commands that set it."""

    name: Name = Field(examples=["team-chat"])
    type: Literal["webhook", "slack", "email", "pagerduty", "opsgenie"]
    url: Optional[str] = Field(None, pattern=r"^https?://", examples=["http://127.0.0.1:5001/alerts"])
    channel: Optional[str] = Field(None, examples=["#alerts"])
    to: Optional[str] = Field(None, examples=["oncall@example.com"])
    from_: Optional[str] = Field(None, alias="from", examples=["alertmanager@example.com"])
    smarthost: Optional[HostPort] = Field(None, examples=["smtp.example.com:587"])
    username: Optional[str] = None
    # The NAME of the secret config key (set with `pulumi config set --secret`) that holds the one
    # credential of this receiver's type: Slack's webhook URL, PagerDuty's routing key, Opsgenie's
    # API key, a webhook's bearer token (or, for a webhook without `url`, its secret URL) or the
    # SMTP password. Never the value itself.
    credential: Optional[SecretKey] = Field(None, examples=["slackWebhookUrl"])

    def secret_keys(self) -> dict[str, str]:
        """camelCase field -> secret config key, for the credential this receiver names."""
        return {"credential": self.credential} if self.credential else {}


def _check_time_of_day(value: str) -> str:
    hours, _, minutes = value.partition(":")
    if not (len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()
            and (int(hours) < 24 and int(minutes) < 60 or value == "24:00")):
        raise ValueError(f"{value!r} is not a time of day; allowed: HH:MM from 00:00 to 24:00, e.g. '22:00'")
    return value


def _check_weekdays(value: str) -> str:
    names = value.split(":")
    if len(names) > 2 or any(n not in WEEKDAYS for n in names) or WEEKDAYS.index(names[0]) > WEEKDAYS.index(names[-1]):
        raise ValueError(f"{value!r} is not a weekday or a range of them; allowed: {', '.join(WEEKDAYS)}, "
                         "or 'first:last' in that order, e.g. 'monday:friday'")
    return value


TimeOfDay = Annotated[str, AfterValidator(_check_time_of_day)]
Weekdays = Annotated[str, AfterValidator(_check_weekdays)]


class TimeRange(Model):
    """A span of the day; one that crosses midnight (22:00 to 06:00) is allowed and split when
    rendered, because Alertmanager only takes ranges within one day."""

    start: TimeOfDay = Field(examples=["22:00"])
    end: TimeOfDay = Field(examples=["06:00"])

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRange:
        if self.start == self.end or self.start == "24:00":
            field, value = ("start", self.start) if self.start == "24:00" else ("end", self.end)
            raise FieldIssuesError([FieldIssue((field,), value, f"start {self.start} to end {self.end} is no span of time; "
                                          "start must differ from end and be before 24:00",
                                          example="00:00" if field == "start" else "06:00")])
        return self


class MuteTimeInterval(Model):
    """A named recurring time (e.g. nights) that routes name in `muteTimeIntervals`. Without
    `location`, times are UTC."""

    name: Name = Field(examples=["nights"])
    times: list[TimeRange] = Field(default_factory=list)
    weekdays: list[Weekdays] = Field(default_factory=list, examples=[["monday:friday"]])
    location: Optional[str] = Field(None, examples=["Europe/Berlin"])

    @model_validator(mode="after")
    def _says_when(self) -> MuteTimeInterval:
        issues = []
        if not self.times and not self.weekdays:
            issues.append(FieldIssue(("weekdays",), _ABSENT, "a mute time interval needs times, weekdays or both "
                                     "(otherwise it would mute always)", example=["monday:friday"]))
        if self.location:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.location)
            except (ZoneInfoNotFoundError, ValueError):
                issues.append(FieldIssue(("location",), self.location, f"location {self.location!r} is not an IANA "
                                         "time zone such as Europe/Berlin", example="Europe/Berlin"))
        if issues:
            raise FieldIssuesError(issues)
        return self


class Route(Model):
    """A route for a team or a service: alerts whose labels equal every `match` pair (and whose
    severity is in `severities`, when given) go to `receiver`. Routes are tried in order, before
    the severity routes; `continue: true` lets a matching alert go on to them as well."""

    match: dict[LabelName, str] = Field(min_length=1, examples=[{"team": "billing"}])
    receiver: str = Field(examples=["billing-chat"])
    severities: list[Severity] = Field(default_factory=list, examples=[["warning"]])
    continue_: bool = Field(False, alias="continue")
    mute_time_intervals: list[str] = Field(default_factory=list, examples=[["nights"]])


class Routing(Model):
    """Which receiver gets what. `critical` and `warning` fall back to `default`; Watchdog goes
    to `deadMansSwitch` every `deadMansSwitchInterval` and never to any other receiver."""

    default: str = Field(examples=["team-chat"])
    critical: Optional[str] = Field(None, examples=["pager"])
    warning: Optional[str] = Field(None, examples=["team-chat"])
    dead_mans_switch: Optional[str] = Field(None, examples=["deadman"])
    dead_mans_switch_interval: Duration = Field("1m", examples=["1m"])
    # severity -> names of mute time intervals applied to that severity's route.
    mute_time_intervals: dict[Literal["critical", "warning"], list[str]] = Field(
        default_factory=dict, examples=[{"warning": ["nights"]}])


class Alerting(Model):
    """Receivers, the route tree and mute times. References between them (receiver and
    interval names, matcher labels, credentials) are checked in `config.alerting`, which
    reports each bad one under its own key."""

    receivers: list[Receiver] = Field(min_length=1)
    routing: Routing
    routes: list[Route] = Field(default_factory=list)
    mute_time_intervals: list[MuteTimeInterval] = Field(default_factory=list)
