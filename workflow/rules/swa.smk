# The SWA model at a budget: the mean of the last swa.windows windows ending at its step,
# read from the window averages the trunk links saved (changing swa.windows retrains nothing).
rule swa:
    input:
        swa_window_dirs,
    output:
        LAYOUT.swa("{model}", "{tokens}"),
    log:
        LAYOUT.log("swa/{model}/tokens{tokens}"),
    conda:
        "../envs/scalinglaws.yaml"
    params:
        windows=swa_window_files,
    shell:
        "scalinglaws average {params.windows} --out {output} > {log} 2>&1"
