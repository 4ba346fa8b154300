# Scaling laws of each point set (cooldowns, cosine, SWA, trunk), fitted separately.
rule fit:
    input:
        **fit_inputs(),
    output:
        LAYOUT.fits,
    log:
        LAYOUT.log("fit"),
    conda:
        "../envs/scalinglaws.yaml"
    threads: 2
    params:
        fit=canonical(config["fit"]),
        flops=canonical(config["flops"]),
    script:
        "../../scripts/fit.py"


# FLOPs and measured seconds of the WSD pipeline against the cosine sweep.
rule compute:
    input:
        meta=LAYOUT.meta,
        points=LAYOUT.points,
    output:
        LAYOUT.compute,
    log:
        LAYOUT.log("compute"),
    conda:
        "../envs/scalinglaws.yaml"
    params:
        flops=canonical(config["flops"]),
    script:
        "../../scripts/compute.py"
