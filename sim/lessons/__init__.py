"""Teaching lessons: texts in docs/lessons/, each with an experiment and claims checked by tests."""
