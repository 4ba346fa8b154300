# Validation loss of a trunk checkpoint (and, with eval.in_training_job false, of every
# final model), on the same fixed validation tokens for all.
rule evaluate:
    input:
        ckpt=LAYOUT.checkpoint("{kind}/{path}"),
        data=LAYOUT.meta,
    output:
        LAYOUT.evaluation(LAYOUT.checkpoint("{kind}/{path}")),
    log:
        LAYOUT.log("eval/{kind}/{path}"),
    wildcard_constraints:
        kind=EVALUATED_APART,
    conda:
        "../envs/scalinglaws.yaml"
    threads: 1
    resources:
        device=config["training"]["device"],
    params:
        data=data_dir,
        tokens=config["eval"]["tokens"],
        batch_size=config["eval"]["batch_size"],
    shell:
        "scalinglaws evaluate {input.ckpt} --data {params.data} --tokens {params.tokens} "
        "--batch-size {params.batch_size} --out {output} "
        "--device {resources.device} --threads {threads} > {log} 2>&1"
