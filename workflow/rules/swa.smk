# The SWA model at a budget: the mean of the last swa.windows windows ending at its step,
# read from the window averages the trunk links saved (changing swa.windows retrains nothing),
# and evaluated here unless eval.in_training_job is false.
rule swa:
    input:
        windows=swa_window_dirs,
        data=LAYOUT.meta,
    output:
        **evaluation_output(LAYOUT.checkpoint(SWA_JOB)),
        ckpt=LAYOUT.checkpoint(SWA_JOB),
    log:
        LAYOUT.log(SWA_JOB),
    conda:
        "../envs/scalinglaws.yaml"
    threads: 1
    resources:
        device=config["training"]["device"],
    params:
        windows=swa_window_files,
        data=data_dir,
        evaluation=evaluation_flags(LAYOUT.checkpoint(SWA_JOB)),
    shell:
        "scalinglaws average {params.windows} --out {output.ckpt} --data {params.data} "
        "{params.evaluation} --device {resources.device} --threads {threads} > {log} 2>&1"
