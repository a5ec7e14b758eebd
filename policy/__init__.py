"""monstack's CrossGuard policy pack (`pulumi preview --policy-pack policy`): the rules are pure
functions in `rules.py`, tested on the offline preview's resources; `__main__.py` serves them."""
