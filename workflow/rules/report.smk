# Figures for `snakemake --report results/{experiment}/report.html`, with captions.
rule plots:
    input:
        **fit_inputs(),
        fits=LAYOUT.fits,
        compute=LAYOUT.compute,
        metrics=training_metrics(),
    output:
        **{
            name: report(
                LAYOUT.figure(name),
                caption=f"../report/{name}.rst",
                category="Figures",
            )
            for name in FIGURES
        },
    log:
        LAYOUT.log("plots"),
    conda:
        "../envs/scalinglaws.yaml"
    script:
        "../../scripts/plots.py"
