# One table of every evaluated point: results/{experiment}/points.csv.
rule aggregate:
    input:
        meta=LAYOUT.meta,
        evals=evaluations(SWEEP, LAYOUT),
    output:
        LAYOUT.points,
    log:
        LAYOUT.log("aggregate"),
    conda:
        "../envs/scalinglaws.yaml"
    params:
        flops=canonical(config["flops"]),
    script:
        "../../scripts/aggregate.py"
