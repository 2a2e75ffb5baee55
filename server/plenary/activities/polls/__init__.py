"""Live polls: single and multiple choice, rating scales, word clouds and open text."""
