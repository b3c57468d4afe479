"""The report: figures and the Markdown summary, drawn from the tables the study
wrote and from the feature files' own provenance. Imports the stages below."""
