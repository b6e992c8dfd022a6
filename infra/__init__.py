"""Everything around the app that is not the app: the local stack, demo data, and the CloudFormation resources."""
