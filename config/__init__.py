"""Typed, validated settings of one stack (`Pulumi.<stack>.yaml`)."""

# The settings model first: config.thanos builds on its blocks and config.settings embeds
# config.thanos' model, so whichever a caller imports first, this order resolves the two.
import config.settings  # noqa: E402,F401
