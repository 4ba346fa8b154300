# The baseline the method replaces: one cosine run from scratch per (model, budget).
rule cosine:
    input:
        data=LAYOUT.meta,
    output:
        ckpt=LAYOUT.cosine("{model}", "{tokens}"),
        metrics=LAYOUT.cosine("{model}", "{tokens}").replace(".pt", ".csv"),
    params:
        data=LAYOUT.data,
        settings=cosine_settings,
        device=config["training"]["device"],
    log:
        LAYOUT.log("cosine/{model}/tokens{tokens}"),
    benchmark:
        LAYOUT.benchmark("cosine/{model}/tokens{tokens}")
    threads: 1
    shell:
        "{SL} train --data {params.data} {params.settings} "
        "--out {output.ckpt} --metrics {output.metrics} "
        "--device {params.device} --threads {threads} --no-progress 2> {log}"
