"""Running the real program without the Pulumi CLI: mocks that record every resource, and the
offline preview built on them (the README's main job, and the base of the tests)."""
