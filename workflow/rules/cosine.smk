# The baseline the method replaces: one cosine run from scratch per (model, budget).
rule cosine:
    input:
        data=LAYOUT.meta,
    output:
        **evaluation_output(LAYOUT.cosine("{model}", "{tokens}")),
        ckpt=LAYOUT.cosine("{model}", "{tokens}"),
        metrics=LAYOUT.cosine("{model}", "{tokens}").replace(".pt", ".csv"),
    log:
        LAYOUT.log("cosine/{model}/tokens{tokens}"),
    benchmark:
        LAYOUT.benchmark("cosine/{model}/tokens{tokens}")
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
        evaluation=evaluation_flags(LAYOUT.cosine("{model}", "{tokens}")),
        rescue=LAYOUT.rescue("cosine/{model}/tokens{tokens}"),
    shell:
        "{params.launch} train --data {params.data} {params.settings} "
        "--out {output.ckpt} --metrics {output.metrics} "
        "{params.evaluation} --rescue {params.rescue} {params.execution} --no-progress > {log} 2>&1"
