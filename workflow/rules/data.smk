rule prepare_data:
    output:
        meta=LAYOUT.meta,
        train=f"{LAYOUT.data}/train.bin",
        val=f"{LAYOUT.data}/val.bin",
    params:
        data=config["data"],
    log:
        LAYOUT.log("prepare_data"),
    benchmark:
        LAYOUT.benchmark("prepare_data")
    script:
        "../../scripts/prepare_data.py"
