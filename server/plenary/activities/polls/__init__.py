"""Live polls: single and multiple choice, rating scales (1-5, 1-10), word clouds and
open text. Installed by ``kind.KIND``."""
