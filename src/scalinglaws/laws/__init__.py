"""Laws fitted to numbers, numpy/scipy only: Chinchilla's three approaches (``chinchilla``),
the loss-curve laws (``annealing``, ``multipower``, by name in ``registry``; shared pieces
in ``curves``), and the Huber loss they all minimise (``huber``)."""
