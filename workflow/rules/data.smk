rule prepare_data:
    output:
        meta=LAYOUT.meta,
        train=f"{LAYOUT.data}/train.bin",
        val=f"{LAYOUT.data}/val.bin",
    log:
        LAYOUT.log("prepare_data"),
    benchmark:
        LAYOUT.benchmark("prepare_data")
    conda:
        "../envs/scalinglaws.yaml"
    params:
        data=canonical(config["data"]),
    script:
        "../../scripts/prepare_data.py"
