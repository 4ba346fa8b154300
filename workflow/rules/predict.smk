# Each model's cooldown and cosine final losses predicted from its trunk checkpoints and a
# few cooldowns (scalinglaws.analysis.predictions), against what was measured.
rule predict:
    input:
        points=LAYOUT.points,
        forks=fork_evaluations(SWEEP, LAYOUT).values(),
    output:
        table=LAYOUT.predictions,
        figure=report(
            LAYOUT.figure(PREDICTION_FIGURE),
            caption="../report/predictions.rst",
            category="Figures",
        ),
    log:
        LAYOUT.log("predict"),
    conda:
        "../envs/scalinglaws.yaml"
    params:
        predict=canonical(config["predict"]),
    script:
        "../../scripts/predict.py"
