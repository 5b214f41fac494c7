"""The bad-input and fault corpus of issue 11: no silent wrong answers, nothing lost."""
