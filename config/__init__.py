"""Typed, validated settings of one stack (`Pulumi.<stack>.yaml`)."""
