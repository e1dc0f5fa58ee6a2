//! Which backups to keep: all of today and yesterday, then the newest of
//! each day for 14 days, of each ISO week for 8 weeks, and of each month
//! for 12 months; older ones go. A pure rule on local dates and times, so
//! it is tested on fixed dates (as Anki thins its collection backups).

use std::collections::BTreeSet;

use jiff::ToSpan;
use jiff::civil::{Date, DateTime};

/// Days kept one a day, after today and yesterday.
pub const DAILY_DAYS: i64 = 14;
/// Weeks kept one a week, after the daily days.
pub const WEEKLY_WEEKS: i64 = 8;
/// Months kept one a month, after the weekly weeks.
pub const MONTHLY_MONTHS: i32 = 12;

/// The bucket a backup falls in, by its age on `today`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bucket {
    /// Today or yesterday: every backup is kept.
    Recent(usize),
    Day(Date),
    Week(i16, i8),
    Month(i16, i8),
}

fn bucket(taken: DateTime, index: usize, today: Date) -> Option<Bucket> {
    let date = taken.date();
    let age = (today - date).get_days() as i64;
    let weekly_from = 2 + DAILY_DAYS;
    let monthly_from = weekly_from + 7 * WEEKLY_WEEKS;
    let oldest_month = today.checked_sub(MONTHLY_MONTHS.months()).ok()?;
    if age < 2 {
        Some(Bucket::Recent(index))
    } else if age < weekly_from {
        Some(Bucket::Day(date))
    } else if age < monthly_from {
        let w = date.iso_week_date();
        Some(Bucket::Week(w.year(), w.week()))
    } else if date >= oldest_month {
        Some(Bucket::Month(date.year(), date.month()))
    } else {
        None
    }
}

/// The indices of the backups to keep (taken at `taken`, local time), on
/// `today`: the newest in each bucket. A backup dated after today is kept.
pub fn backups_to_keep(taken: &[DateTime], today: Date) -> BTreeSet<usize> {
    let mut newest: std::collections::BTreeMap<Bucket, usize> = std::collections::BTreeMap::new();
    let mut keep = BTreeSet::new();
    for (i, t) in taken.iter().enumerate() {
        if t.date() > today {
            keep.insert(i);
            continue;
        }
        let Some(b) = bucket(*t, i, today) else {
            continue;
        };
        match newest.get(&b) {
            Some(&j) if taken[j] >= *t => {}
            _ => {
                newest.insert(b, i);
            }
        }
    }
    keep.extend(newest.into_values());
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// A backup every 6 hours for a year and a half before 2025-12-31.
    fn every_six_hours() -> Vec<DateTime> {
        let end = date(2025, 12, 31).at(18, 0, 0, 0);
        (0..(4 * 550)).map(|i| end - (6 * i).hours()).collect()
    }

    #[test]
    fn a_year_of_backups_is_thinned_to_the_expected_ones() {
        let taken = every_six_hours();
        let today = date(2025, 12, 31);
        let kept: Vec<DateTime> = backups_to_keep(&taken, today).into_iter().map(|i| taken[i]).collect();
        let on = |d: Date| kept.iter().filter(|t| t.date() == d).count();
        // Today and yesterday: all four of each day.
        assert_eq!(on(today), 4);
        assert_eq!(on(date(2025, 12, 30)), 4);
        // The 14 days before: one each, the newest of the day (18:00).
        for back in 2..16 {
            let d = today - back.days();
            assert_eq!(on(d), 1, "{d}");
            assert!(kept.contains(&d.at(18, 0, 0, 0)), "{d}");
        }
        assert_eq!(on(today - 16.days()), 1, "the newest of its ISO week");
        // Weekly: 8 weeks of days after the daily ones, one per ISO week touched.
        let weekly: BTreeSet<(i16, i8)> = (16..16 + 56)
            .map(|back| (today - back.days()).iso_week_date())
            .map(|w| (w.year(), w.week()))
            .collect();
        let kept_weekly = kept
            .iter()
            .filter(|t| {
                let age = (today - t.date()).get_days();
                (16..16 + 56).contains(&age)
            })
            .count();
        assert_eq!(kept_weekly, weekly.len());
        // Monthly: one per month back to 2024-12-31, none older.
        let older: Vec<_> = kept
            .iter()
            .filter(|t| (today - t.date()).get_days() >= 16 + 56)
            .collect();
        let months: BTreeSet<(i16, i8)> = older.iter().map(|t| (t.year(), t.month())).collect();
        assert_eq!(older.len(), months.len(), "one per month");
        assert!(older.iter().all(|t| t.date() >= date(2024, 12, 31)), "{older:?}");
        assert!(months.contains(&(2025, 1)) && months.contains(&(2024, 12)));
        // Nothing is kept twice, and the total is what the rule adds up to.
        assert_eq!(kept.len(), 8 + 14 + kept_weekly + older.len());
    }

    #[test]
    fn the_newest_of_a_day_is_kept_whatever_the_order() {
        let today = date(2025, 6, 30);
        let taken = vec![
            date(2025, 6, 20).at(9, 0, 0, 0),
            date(2025, 6, 20).at(17, 30, 0, 0),
            date(2025, 6, 20).at(12, 0, 0, 0),
            date(2024, 1, 1).at(12, 0, 0, 0),
            date(2025, 7, 2).at(8, 0, 0, 0),
        ];
        let keep = backups_to_keep(&taken, today);
        assert_eq!(
            keep.into_iter().collect::<Vec<_>>(),
            [1, 4],
            "newest of 06-20; too old; clock ahead kept"
        );
    }
}
