"""Config → runs: the sweep's jobs (``sweep``), where everything lives (``layout``), which
checkpoints are evaluated (``checkpoints``), the training rules' flags (``flags``), FLOPs
and costs (``flops``, ``costs``, ``plan``, ``walltime``), the config's defaults (``config``).
Torch-free: the Snakefile imports this layer at every start."""
