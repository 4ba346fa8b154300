"""Training with torch: the model (``architecture``, ``model``), data (``data``,
``tokenizers``, ``batches``), ``schedules``, the loop and optimizer (``loop``),
``checkpoint``, ``averaging`` (SWA, EMA), ``distributed`` and ``evaluate``."""
