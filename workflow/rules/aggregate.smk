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


# The paper's claims checked on the points, as Markdown (what `make demo` prints).
rule summary:
    input:
        **with_predictions(points=LAYOUT.points, compute=LAYOUT.compute),
    output:
        LAYOUT.summary,
    log:
        LAYOUT.log("summary"),
    conda:
        "../envs/scalinglaws.yaml"
    script:
        "../../scripts/summary.py"
