"""One repository per DynamoDB table of infra/template.json; each takes its boto3 Table and converts between the
table's items and the domain's records."""
