# The trunk: warmup + constant LR, a chain of links. Each link trains from the previous
# checkpoint to the next step that something needs (a fork step or a budget's step) and
# saves the SWA windows it completed. Trunk checkpoints are the expensive asset: never temp().
rule trunk:
    input:
        data=LAYOUT.meta,
        init=trunk_init,
    output:
        ckpt=LAYOUT.trunk("{model}", "{step}"),
        metrics=LAYOUT.trunk("{model}", "{step}").replace(".pt", ".csv"),
        windows=directory(LAYOUT.trunk_windows("{model}", "{step}")),
    log:
        LAYOUT.log("trunk/{model}/step{step}"),
    benchmark:
        LAYOUT.benchmark("trunk/{model}/step{step}")
    conda:
        "../envs/scalinglaws.yaml"
    threads: 1
    params:
        data=data_dir,
        init=init_flag,
        settings=trunk_settings,
        device=config["training"]["device"],
        rescue=LAYOUT.rescue("trunk/{model}/step{step}"),
    shell:
        "mkdir -p {output.windows} && "
        "scalinglaws train --data {params.data} {params.init} --until {wildcards.step} {params.settings} "
        "--out {output.ckpt} --metrics {output.metrics} --swa-dir {output.windows} "
        "--rescue {params.rescue} --device {params.device} --threads {threads} --no-progress 2> {log}"
