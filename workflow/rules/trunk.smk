# The trunk: warmup + constant LR, a chain of links on a fixed grid of the model's steps
# (trunk.link_tokens): each link trains from the grid step before to its own and saves the
# SWA windows it completed, so the chain depends on nothing that adding a budget changes. Trunk checkpoints are the expensive asset: never
# temp(), and write-protected once made, so that no ordinary rerun deletes or overwrites
# them (README: "When things go wrong" says how to recompute one on purpose). Only
# settings that define the trunk's trajectory are params (a params change reruns a job);
# how a job runs (device, threads, processes, micro-batches, compilation: `launch` and
# `execution` in common.smk) is no rerun trigger, so changing it retrains nothing.
rule trunk:
    input:
        data=LAYOUT.meta,
        init=trunk_init,
    output:
        ckpt=protected(LAYOUT.checkpoint(TRUNK_JOB)),
        metrics=protected(LAYOUT.metrics(TRUNK_JOB)),
        windows=protected(directory(LAYOUT.windows(TRUNK_JOB))),
    log:
        LAYOUT.log(TRUNK_JOB),
    benchmark:
        LAYOUT.benchmark(TRUNK_JOB)
    conda:
        "../envs/scalinglaws.yaml"
    threads: 1
    resources:
        device=config["training"]["device"],
    params:
        launch=launch,
        execution=execution,
        data=data_dir,
        init=init_flag,
        settings=trunk_settings,
        rescue=LAYOUT.rescue(TRUNK_JOB),
    shell:
        "mkdir -p {output.windows} && "
        "{params.launch} train --data {params.data} {params.init} --until {wildcards.step} {params.settings} "
        "--out {output.ckpt} --metrics {output.metrics} --swa-dir {output.windows} "
        "--rescue {params.rescue} {params.execution} --no-progress > {log} 2>&1"


# A trunk checkpoint off the grid (a fork step or a budget between grid steps): the same
# training from the grid step before it. Branches feed only cooldowns, evaluations and SWA
# models, never a link, so adding one recomputes nothing else.
use rule trunk as branch with:
    input:
        data=LAYOUT.meta,
        init=branch_init,
    output:
        ckpt=protected(LAYOUT.checkpoint(BRANCH_JOB)),
        metrics=protected(LAYOUT.metrics(BRANCH_JOB)),
        windows=protected(directory(LAYOUT.windows(BRANCH_JOB))),
    log:
        LAYOUT.log(BRANCH_JOB),
    benchmark:
        LAYOUT.benchmark(BRANCH_JOB)
    params:
        launch=launch,
        execution=execution,
        data=data_dir,
        init=init_flag,
        settings=trunk_settings,
        rescue=LAYOUT.rescue(BRANCH_JOB),
