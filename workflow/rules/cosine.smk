# The baseline the method replaces: one cosine run from scratch per (model, budget), for
# each of cosine.final_fractions ({baseline}: cosine, or cosine-final0 for a second one).
rule cosine:
    input:
        data=LAYOUT.meta,
    output:
        **evaluation_output(LAYOUT.checkpoint(COSINE_JOB)),
        ckpt=LAYOUT.checkpoint(COSINE_JOB),
        metrics=LAYOUT.metrics(COSINE_JOB),
    log:
        LAYOUT.log(COSINE_JOB),
    benchmark:
        LAYOUT.benchmark(COSINE_JOB)
    conda:
        "../envs/scalinglaws.yaml"
    threads: 1
    resources:
        device=config["training"]["device"],
    params:
        launch=launch,
        execution=execution,
        data=data_dir,
        settings=cosine_settings,
        evaluation=evaluation_flags(LAYOUT.checkpoint(COSINE_JOB)),
        rescue=LAYOUT.rescue(COSINE_JOB),
    shell:
        "{params.launch} train --data {params.data} {params.settings} "
        "--out {output.ckpt} --metrics {output.metrics} "
        "{params.evaluation} --rescue {params.rescue} {params.execution} --no-progress > {log} 2>&1"
