# The baseline the method replaces: one cosine run from scratch per (model, budget), for
# each of cosine.final_fractions ({baseline}: cosine, or cosine-final0 for a second one).
rule cosine:
    input:
        data=LAYOUT.meta,
    output:
        **evaluation_output(LAYOUT.cosine("{model}", "{tokens}", "{baseline}")),
        ckpt=LAYOUT.cosine("{model}", "{tokens}", "{baseline}"),
        metrics=LAYOUT.cosine("{model}", "{tokens}", "{baseline}").replace(
            ".pt", ".csv"
        ),
    log:
        LAYOUT.log("{baseline}/{model}/tokens{tokens}"),
    benchmark:
        LAYOUT.benchmark("{baseline}/{model}/tokens{tokens}")
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
        evaluation=evaluation_flags(LAYOUT.cosine("{model}", "{tokens}", "{baseline}")),
        rescue=LAYOUT.rescue("{baseline}/{model}/tokens{tokens}"),
    shell:
        "{params.launch} train --data {params.data} {params.settings} "
        "--out {output.ckpt} --metrics {output.metrics} "
        "{params.evaluation} --rescue {params.rescue} {params.execution} --no-progress > {log} 2>&1"
