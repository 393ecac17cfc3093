import { render } from 'preact';
import './styles.css';

render(<main>Konsol DTKS</main>, document.getElementById('app')!);
