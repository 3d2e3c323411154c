"""02 - Dependencies: a diamond, with fan-out, join and outputs passed along.

    download -> count words   -> report
             -> count letters ->

`a >> b` means "b runs after a". Both counts start as soon as `download`
ends, in parallel; `report` waits for both (the default trigger rule,
all_success). A step reads what its ancestors published in `ctx.outputs`:
a Python step publishes the dict it returns, a shell step the `key=value`
lines it appends to the file named by `$OAUTOM_OUTPUT`.
"""
from oautom import BashExecution, Flow, OAutom, PythonExecution


def count_words(ctx):
    """Outputs of a BashExecution are strings: whatever followed `key=`."""
    return {'words': len(ctx.outputs['download']['text'].split())}


def count_letters(ctx):
    """Runs at the same time as count_words."""
    return {'letters': sum(char.isalpha() for char in ctx.outputs['download']['text'])}


def report(ctx):
    """Joins both branches."""
    words, letters = ctx.outputs['count words']['words'], ctx.outputs['count letters']['letters']
    return {'summary': f'{words} words, {letters} letters'}


def main():
    """Run the diamond once and print every step's outputs."""
    app = OAutom()
    flow = Flow('diamond', app=app)
    download = BashExecution('download', flow=flow, command='echo "text=the quick brown fox '
                             'jumps over the lazy dog" >> "$OAUTOM_OUTPUT"')
    words = PythonExecution('count words', flow=flow, function=count_words)
    letters = PythonExecution('count letters', flow=flow, function=count_letters)
    join = PythonExecution('report', flow=flow, function=report)
    download >> [words, letters] >> join  # fan-out, then join
    vect = app.start('diamond')
    app.run()
    for step in vect.status()['executions']:
        print(f"{step['name']:14} {step['state']:8} {step['outputs']}")


if __name__ == '__main__':
    main()
