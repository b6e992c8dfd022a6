"""``make bench``: Nhacno's performance figures, each next to its floor or baseline, measured in one run.

Everything runs in-process against moto (``mock_aws``); every AWS request the app makes, through boto3
or PynamoDB, is counted by service and operation with a botocore event hook (``bench/requests.py``).
``python -m bench`` prints one line per figure and rewrites ``bench/RESULTS.md``.
"""
