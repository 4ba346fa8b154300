"""Layout is the one owner of job ids and paths: every file of a job derives from its id."""

from scalinglaws.experiment.layout import Layout


def test_a_jobs_files_derive_from_its_id():
    layout = Layout.of({"experiment": "x"})
    assert layout.root == "results/x"
    job = layout.cooldown_job("m", "1-sqrt", "0.2", 2560)
    assert job == "cooldown/m/1-sqrt/f0.2/tokens2560"
    assert layout.cooldown("m", "1-sqrt", "0.2", 2560) == layout.checkpoint(job) == f"results/x/{job}.pt"
    assert layout.metrics(job) == f"results/x/{job}.csv"
    assert layout.log(job) == f"results/x/logs/{job}.log"
    assert layout.benchmark(job) == f"results/x/benchmarks/{job}.tsv"
    assert layout.rescue(job) == f"results/x/rescue/{job}.pt"
    assert layout.evaluation(layout.checkpoint(job)) == f"results/x/eval/{job}.json"


def test_ids_of_every_kind_and_patterns_for_the_rules():
    layout = Layout.of({"experiment": "x"}, base="wf")
    assert layout.trunk(1, 20) == "wf/results/x/trunk/1/step20.pt"
    assert layout.cosine("m", 5, "cosine-final0") == "wf/results/x/cosine-final0/m/tokens5.pt"
    assert layout.swa("m", 5) == layout.checkpoint(Layout.swa_job("m", 5))
    assert (
        layout.window(Layout.trunk_job("m", 40), 32) == f"wf/results/x/trunk/m/windows/step40/{Layout.window_file(32)}"
    )
    assert layout.windows(Layout.branch_job("m", 36)) == "wf/results/x/trunk/m/windows/branch36"
    assert layout.checkpoint(Layout.branch_job("m", 36)) == "wf/results/x/trunk/m/branch36.pt"
    # called with wildcard names, the same methods give the rules' patterns
    assert Layout.trunk_job("{model}", "{step}") == "trunk/{model}/step{step}"
    assert Layout.branch_job("{model}", "{step}") == "trunk/{model}/branch{step}"
    assert layout.figure("frontier") == "wf/results/x/figures/frontier.png"
