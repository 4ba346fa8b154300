# A cooldown: forked from the trunk checkpoint at its fork step, decays the LR over the
# last part of a run of the budget's length. Model and optimizer come from the checkpoint.
rule cooldown:
    input:
        data=LAYOUT.meta,
        init=cooldown_init,
    output:
        **evaluation_output(LAYOUT.checkpoint(COOLDOWN_JOB)),
        ckpt=LAYOUT.checkpoint(COOLDOWN_JOB),
        metrics=LAYOUT.metrics(COOLDOWN_JOB),
    log:
        LAYOUT.log(COOLDOWN_JOB),
    benchmark:
        LAYOUT.benchmark(COOLDOWN_JOB)
    conda:
        "../envs/scalinglaws.yaml"
    threads: 1
    resources:
        device=config["training"]["device"],
    params:
        launch=launch,
        execution=execution,
        data=data_dir,
        settings=cooldown_settings,
        evaluation=evaluation_flags(LAYOUT.checkpoint(COOLDOWN_JOB)),
        rescue=LAYOUT.rescue(COOLDOWN_JOB),
    shell:
        "{params.launch} train --data {params.data} --init {input.init} {params.settings} "
        "--out {output.ckpt} --metrics {output.metrics} "
        "{params.evaluation} --rescue {params.rescue} {params.execution} --no-progress > {log} 2>&1"
