using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The instruments of one <see cref="Meter"/> (by name) as Prometheus text exposition format 0.0.4: per metric a
/// HELP and a TYPE line, then one sample per measurement. Observable instruments are read at <see cref="Collect"/>,
/// so a scrape sees the counters of that moment. Names as OpenTelemetry's Prometheus exporter writes them:
/// counters get a `_total` suffix, gauges keep their name; tags become labels in the order given.
/// </summary>
internal sealed class PrometheusExposition : IDisposable
{
    /// <summary>The Content-Type of what <see cref="Collect"/> returns.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly List<Instrument> _instruments = []; // in the order they were published: the order of the output
    private readonly Dictionary<Instrument, StringBuilder> _samples = [];
    private readonly object _collecting = new();

    public PrometheusExposition(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != meterName) return;
            lock (_collecting) _instruments.Add(instrument);
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.MeasurementsCompleted = (instrument, _) => { lock (_collecting) _instruments.Remove(instrument); };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            AppendSample(instrument, value.ToString(CultureInfo.InvariantCulture), tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => AppendSample(instrument, FormatDouble(value), tags));
        _listener.Start();
    }

    /// <summary>Reads every instrument now and returns the exposition.</summary>
    public string Collect()
    {
        lock (_collecting)
        {
            _samples.Clear();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var instrument in _instruments)
            {
                if (!_samples.TryGetValue(instrument, out var samples)) continue; // no series: nothing to say
                string name = MetricName(instrument);
                text.Append("# HELP ").Append(name).Append(' ');
                AppendEscaped(text, instrument.Description ?? "", escapeQuotes: false);
                text.Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(IsCounter(instrument) ? "counter" : "gauge").Append('\n');
                text.Append(samples);
            }
            return text.ToString();
        }
    }

    private void AppendSample(Instrument instrument, string value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Called from RecordObservableInstruments, inside Collect's lock.
        if (!_samples.TryGetValue(instrument, out var samples)) _samples[instrument] = samples = new StringBuilder();
        samples.Append(MetricName(instrument));
        if (tags.Length > 0)
        {
            samples.Append('{');
            for (int i = 0; i < tags.Length; i++)
            {
                if (i > 0) samples.Append(',');
                samples.Append(tags[i].Key).Append("=\"");
                AppendEscaped(samples, Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "", escapeQuotes: true);
                samples.Append('"');
            }
            samples.Append('}');
        }
        samples.Append(' ').Append(value).Append('\n');
    }

    private static bool IsCounter(Instrument instrument) =>
        instrument is ObservableCounter<long> or ObservableCounter<double> or Counter<long> or Counter<double>;

    private static string MetricName(Instrument instrument) =>
        IsCounter(instrument) && !instrument.Name.EndsWith("_total", StringComparison.Ordinal) ? instrument.Name + "_total" : instrument.Name;

    /// <summary>The format's escaping: backslash and newline everywhere, double quotes in label values.</summary>
    private static void AppendEscaped(StringBuilder text, string value, bool escapeQuotes)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '"' when escapeQuotes: text.Append("\\\""); break;
                default: text.Append(c); break;
            }
        }
    }

    private static string FormatDouble(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _listener.Dispose();
}
