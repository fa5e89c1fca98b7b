from odoo import fields, models, tools
from odoo.orm.models import parse_read_group_spec
from odoo.tools import SQL

# Measures whose aggregate is a percentile of another column, computed by
# PostgreSQL over the rows of each group (never in Python).
PERCENTILES = {
    "wait_median": ("wait_minutes", 0.5),
    "wait_p95": ("wait_minutes", 0.95),
    "visit_median": ("visit_minutes", 0.5),
    "visit_p95": ("visit_minutes", 0.95),
}


class ClinicInsightVisit(models.Model):
    """One row per walk-in meeting of a lobby and per past appointment: the
    figures of the managers' reports, without any patient's name.

    Medians and 95th percentiles are measures of the pivot and graph views:
    ``_read_group_select`` turns them into ``percentile_cont`` over the
    group's rows, so regrouping by lobby, pro, day or hour stays exact.
    """

    _name = "clinic.insight.visit"
    _description = "Clinic Visit Figures"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "date"

    kind = fields.Selection([("walk_in", "Walk-in"), ("appointment", "Appointment")], readonly=True)
    lobby_id = fields.Many2one("clinic.lobby", readonly=True)
    appointment_type_id = fields.Many2one("clinic.appointment.type", readonly=True)
    pro_id = fields.Many2one("clinic.pro", string="Professional", readonly=True)
    date = fields.Datetime(
        string="Arrived", readonly=True, help="Check-in, or the appointment's time."
    )
    hour = fields.Integer(string="Hour of Day (UTC)", readonly=True, aggregator=False)
    visit_count = fields.Integer(string="Visits", readonly=True)
    wait_minutes = fields.Float(
        string="Wait (average)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    wait_median = fields.Float(string="Wait (median)", readonly=True, digits=(16, 1))
    wait_p95 = fields.Float(string="Wait (95th percentile)", readonly=True, digits=(16, 1))
    visit_minutes = fields.Float(
        string="Visit Length (average)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    visit_median = fields.Float(string="Visit Length (median)", readonly=True, digits=(16, 1))
    visit_p95 = fields.Float(string="Visit Length (95th pct.)", readonly=True, digits=(16, 1))
    abandoned_count = fields.Integer(
        string="Abandoned",
        readonly=True,
        help="Walk-ins who left, or were cancelled, before a professional joined.",
    )
    no_show_count = fields.Integer(
        string="No-shows", readonly=True, help="Past appointments whose call nobody started."
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
CREATE OR REPLACE VIEW %(table)s AS (
    SELECT m.id * 2 AS id,
           'walk_in' AS kind,
           m.lobby_id,
           NULL::integer AS appointment_type_id,
           (SELECT p.pro_id FROM clinic_meeting_participant p
             WHERE p.meeting_id = m.id AND p.role = 'pro'
             ORDER BY p.joined_at, p.id LIMIT 1) AS pro_id,
           m.checked_in_at AS date,
           EXTRACT(HOUR FROM m.checked_in_at)::integer AS hour,
           1 AS visit_count,
           CASE WHEN m.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM m.first_pro_joined_at - m.checked_in_at) / 60 END
               AS wait_minutes,
           CASE WHEN m.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM m.first_pro_joined_at - m.checked_in_at) / 60 END
               AS wait_median,
           CASE WHEN m.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM m.first_pro_joined_at - m.checked_in_at) / 60 END
               AS wait_p95,
           CASE WHEN m.state = 'done' AND m.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM m.ended_at - m.first_pro_joined_at) / 60 END
               AS visit_minutes,
           CASE WHEN m.state = 'done' AND m.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM m.ended_at - m.first_pro_joined_at) / 60 END
               AS visit_median,
           CASE WHEN m.state = 'done' AND m.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM m.ended_at - m.first_pro_joined_at) / 60 END
               AS visit_p95,
           CASE WHEN m.state = 'cancelled' AND m.first_pro_joined_at IS NULL
                THEN 1 ELSE 0 END AS abandoned_count,
           0 AS no_show_count
      FROM clinic_meeting m
     WHERE m.lobby_id IS NOT NULL
    UNION ALL
    SELECT a.id * 2 + 1 AS id,
           'appointment' AS kind,
           NULL::integer AS lobby_id,
           a.type_id AS appointment_type_id,
           a.pro_id,
           a.start AS date,
           EXTRACT(HOUR FROM a.start)::integer AS hour,
           1 AS visit_count,
           NULL, NULL, NULL,
           CASE WHEN mt.state = 'done' AND mt.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM mt.ended_at - mt.first_pro_joined_at) / 60 END,
           CASE WHEN mt.state = 'done' AND mt.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM mt.ended_at - mt.first_pro_joined_at) / 60 END,
           CASE WHEN mt.state = 'done' AND mt.first_pro_joined_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM mt.ended_at - mt.first_pro_joined_at) / 60 END,
           0 AS abandoned_count,
           CASE WHEN mt.first_pro_joined_at IS NULL THEN 1 ELSE 0 END AS no_show_count
      FROM clinic_appointment a
      LEFT JOIN clinic_meeting mt ON mt.id = a.meeting_id
     WHERE a.state = 'confirmed' AND a.stop < (now() AT TIME ZONE 'UTC')
)""",
                table=SQL.identifier(self._table),
            )
        )

    def _read_group_select(self, aggregate_spec, query):
        """Medians and 95th percentiles by ``percentile_cont``, in PostgreSQL."""
        fname, _property, _func = parse_read_group_spec(aggregate_spec)
        if fname in PERCENTILES:
            column, fraction = PERCENTILES[fname]
            self._check_field_access(self._fields[fname], "read")
            return SQL(
                "percentile_cont(%s) WITHIN GROUP (ORDER BY %s)",
                fraction,
                self._field_to_sql(self._table, column, query),
            )
        return super()._read_group_select(aggregate_spec, query)
