"""Alerts and the weekday digest: oilfx speaks first, exactly once across restarts and processes.

  events.py     what to post (AlertFiring, DigestDue), the Poster that posts it, and how that went (Delivery)
  schedule.py   when a digest is due, late, or missed (KST weekdays; pure functions of the time)
  changes.py    the day's change per benchmark, from the market's daily history
  checker.py    one check of every alert and digest: claim in the store, hand to the Poster, record the outcome
  scheduler.py  the loop thread that runs the checks (OILFX_ALERT_INTERVAL), stopped cleanly on shutdown

This layer knows no Slack: the Slack layer implements Poster (oilfx/slack/announce.py). Time is injected (a
clock callable), so tests move a clock rather than sleep.
"""
