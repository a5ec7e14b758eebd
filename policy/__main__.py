"""Serves the rules of `rules.py` as a CrossGuard policy pack; every rule is mandatory, so a
violation fails `pulumi preview` and `pulumi up`."""

import os
import sys

from pulumi_policy import EnforcementLevel, PolicyPack, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from policy.rules import RULES, Resource, Rule  # noqa: E402 - after the project root is importable


def _policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = Resource(type=args.resource_type, name=args.name, props=args.props, protect=args.opts.protect)
        for message in rule.check(resource):
            report_violation(message, None)

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate)


PolicyPack(name="monstack", enforcement_level=EnforcementLevel.MANDATORY, policies=[_policy(rule) for rule in RULES])
